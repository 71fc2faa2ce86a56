"""jieba with its dictionary in memory-mapped tables instead of Python dicts.

jieba 0.42 keeps its 349k-word dict.txt twice in memory, as dicts of Python strings: word
(and every prefix of a word) → frequency, and word → part of speech. That is ~90 MB
resident and ~0.7 s to load at every start. `install()` builds, once, a marisa trie of the
same keys with the frequencies and tags in flat arrays next to it, and hands jieba
read-only mappings over them: a start maps ~4 MB of files and reads only what questions
touch. Segmentation and tagging stay jieba's own code, and give identical results
(tests/unit/test_lexicon.py compares them with stock jieba).

Without `install()` (unit tests, tools) jieba loads its dictionary the usual way.
"""
from __future__ import annotations

import functools
import hashlib
import io
import json
import logging
import mmap
import os
import shutil
import tempfile
import threading
from array import array
from collections.abc import Mapping
from pathlib import Path

logger = logging.getLogger(__name__)
FORMAT = 1
CACHE = "lexicon"  # the tables' folder inside the index directory
_NO_TAG = 255
_lock = threading.Lock()


class Table(Mapping):
    """A read-only str → value mapping over a marisa trie and an array indexed by key id.
    With `names`, the array holds byte codes into them (255: the key has no value)."""

    def __init__(self, trie, values, names: list[str] | None = None):
        self.trie, self.values, self.names = trie, values, names

    def _value(self, key):
        i = self.trie.get(key) if isinstance(key, str) else None
        if i is None:
            return None
        v = self.values[i]
        if self.names is None:
            return v
        return None if v == _NO_TAG else self.names[v]

    def __getitem__(self, key):
        v = self._value(key)
        if v is None:
            raise KeyError(key)
        return v

    def get(self, key, default=None):
        v = self._value(key)
        return default if v is None else v

    def __contains__(self, key):
        return self._value(key) is not None

    def __iter__(self):
        return (k for k in self.trie.iterkeys() if k in self)

    def __len__(self):
        if self.names is None:
            return len(self.trie)
        return sum(1 for v in self.values if v != _NO_TAG)


@functools.lru_cache(maxsize=1)
def _source() -> tuple[str, str]:
    """jieba's default dictionary: its path and sha256 (the tables are named after it)."""
    import jieba

    path = Path(jieba.__file__).with_name(jieba.DEFAULT_DICT_NAME)
    return str(path), hashlib.sha256(path.read_bytes()).hexdigest()


def build(folder: Path) -> None:
    """Write the tables of jieba's default dictionary into `folder` (created atomically)."""
    import jieba
    import marisa_trie

    path, digest = _source()
    with open(path, "rb") as fh:  # jieba's own loader: the prefixes, and the total of every line
        freq, total = jieba.Tokenizer().gen_pfdict(fh)
    tags: dict[str, str] = {}
    with open(path, "rb") as fh:  # as jieba.posseg.POSTokenizer.load_word_tag reads it
        for line in fh:
            line = line.strip().decode("utf-8")
            if line:
                word, _, tag = line.split(" ")
                tags[word] = tag
    trie = marisa_trie.Trie(freq)
    names = sorted(set(tags.values()))
    if len(names) >= _NO_TAG:
        raise ValueError(f"{len(names)} part-of-speech tags do not fit in a byte")
    index = {name: i for i, name in enumerate(names)}
    counts, codes = array("q", bytes(8 * len(trie))), array("B", bytes(len(trie)))
    for key, i in trie.items():
        counts[i], codes[i] = freq[key], index[tags[key]] if key in tags else _NO_TAG
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".lexicon-", dir=folder.parent))
    try:
        os.chmod(tmp, 0o755)
        trie.save(str(tmp / "keys.marisa"))
        (tmp / "freq.q").write_bytes(counts.tobytes())
        (tmp / "tags.B").write_bytes(codes.tobytes())
        (tmp / "meta.json").write_text(json.dumps({"format": FORMAT, "source_sha256": digest,
                                                   "total": total, "tags": names}))
        os.replace(tmp, folder)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        if not (folder / "meta.json").is_file():  # another process may have won the race
            raise


def _mapped(path: Path, fmt: str) -> memoryview:
    with open(path, "rb") as fh:
        return memoryview(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)).cast(fmt)


def _load(folder: Path) -> tuple[Table, Table, int]:
    import marisa_trie

    meta = json.loads((folder / "meta.json").read_text())
    trie = marisa_trie.Trie()
    trie.mmap(str(folder / "keys.marisa"))
    counts, codes = _mapped(folder / "freq.q", "q"), _mapped(folder / "tags.B", "B")
    if len(counts) != len(trie) or len(codes) != len(trie) or meta.get("format") != FORMAT:
        raise ValueError(f"lexicon tables in {folder} do not match")
    return Table(trie, counts), Table(trie, codes, meta["tags"]), meta["total"]


def _folder(cache_dir: Path) -> Path:
    return Path(cache_dir) / f"jieba-{_source()[1][:16]}-v{FORMAT}"


def prepare(cache_dir: Path) -> Path:
    """Build the tables under `cache_dir` unless they are there; their folder."""
    folder = _folder(cache_dir)
    if not (folder / "meta.json").is_file():
        build(folder)
    return folder


def install(cache_dir: Path) -> bool:
    """Give the process-wide jieba (segmentation and `jieba.posseg`) the compact tables,
    building them under `cache_dir` the first time. Returns False, with a warning, when
    they can be neither found nor written; jieba then loads its dictionary as usual."""
    jieba = _jieba()
    with _lock:
        if isinstance(jieba.dt.FREQ, Table):
            return True
        try:
            freq, tags, total = _load(prepare(cache_dir))
        except (OSError, ValueError) as exc:
            logger.warning("jieba's dictionary stays in Python dicts (~90 MB more): %s", exc)
            return False
        jieba.dt.FREQ, jieba.dt.total, jieba.dt.initialized = freq, total, True
        # Importing jieba.posseg builds its tagger from jieba.dt's dictionary file: give
        # it nothing to read, then the table.
        jieba.dt.get_dict_file = lambda: io.BytesIO()
        import jieba.posseg

        jieba.posseg.dt.word_tag_tab = tags
        return True


@functools.lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it logs each dictionary load at DEBUG
    return jieba


@functools.lru_cache(maxsize=1)
def posseg():
    """jieba.posseg (with the compact tables if `install` ran first)."""
    _jieba()
    import jieba.posseg

    return jieba.posseg


def word_frequency(word: str) -> int:
    """How often jieba's dictionary counts `word` (0 for prefixes and unknown words)."""
    dt = _jieba().dt
    dt.check_initialized()
    return dt.FREQ.get(word) or 0


def cut(text: str) -> list[str]:
    """jieba's words of `text` (with the compact tables if `install` ran first)."""
    return _jieba().lcut(text)
