#!/usr/bin/env python
"""Rebuild the FAISS + BM25 index from facts/ (only when stale, unless --force)."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.adapters.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["index", *sys.argv[1:]]))
