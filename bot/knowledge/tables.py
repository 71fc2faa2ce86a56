"""Folders of memory-mapped tables: written whole in a temporary folder, then swapped in at once."""
from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path


def publish(folder: Path, write: Callable[[Path], None]) -> None:
    """Run `write(tmp)` into a new folder beside `folder` and rename it to `folder`, so that no
    reader sees half a table; when the rename fails because another process has just published
    the same tables (its meta.json is there), theirs is kept."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        os.chmod(tmp, 0o755)
        write(tmp)
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / "meta.json").is_file():  # another process may have won the race
            raise
