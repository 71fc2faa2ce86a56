"""The bot's own jieba: a tokenizer and a tagger over jieba's dictionary in memory-mapped tables.

jieba 0.42 keeps its 349k-word dict.txt twice in memory, as dicts of Python strings: word
(and every prefix of a word) → frequency, and word → part of speech. That is ~90 MB
resident and ~0.7 s to load at every start. `prepare()` builds, once, a marisa trie of the
same keys with the frequencies and tags in flat arrays next to it, and `install()` gives the
bot a `jieba.Tokenizer` and a `jieba.posseg.POSTokenizer` of its own over read-only mappings
of them: a start maps ~4 MB of files and reads only what questions touch. Segmentation and
tagging stay jieba's own code, and give identical results (tests/unit/test_lexicon.py compares
them with stock jieba).

Nothing of jieba's own changes: its default tokenizer (`jieba.dt`) keeps its dictionary, and
`jieba.posseg` is never imported (see `_posseg_code`), so any other jieba user in the process,
or a second engine, sees stock jieba. Without `install()` (unit tests, tools) the bot's
instances read jieba's dictionary file the usual way.
"""
from __future__ import annotations

import builtins
import functools
import hashlib
import importlib.util
import io
import json
import logging
import mmap
import threading
from array import array
from collections.abc import Mapping
from pathlib import Path
from types import SimpleNamespace

from bot.knowledge import tables

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


def _dictionary() -> tuple[dict[str, int], int, dict[str, str]]:
    """jieba's default dictionary as jieba reads it: word and prefix → frequency, their total,
    and word → part of speech."""
    import jieba

    path, _ = _source()
    with open(path, "rb") as fh:  # jieba's own loader: the prefixes, and the total of every line
        freq, total = jieba.Tokenizer().gen_pfdict(fh)
    tags: dict[str, str] = {}
    with open(path, "rb") as fh:  # as jieba.posseg.POSTokenizer.load_word_tag reads it
        for line in fh:
            line = line.strip().decode("utf-8")
            if line:
                word, _, tag = line.split(" ")
                tags[word] = tag
    return freq, total, tags


def build(folder: Path) -> None:
    """Write the tables of jieba's default dictionary into `folder` (created atomically)."""
    import marisa_trie

    freq, total, tags = _dictionary()
    digest = _source()[1]
    trie = marisa_trie.Trie(freq)
    names = sorted(set(tags.values()))
    if len(names) >= _NO_TAG:
        raise ValueError(f"{len(names)} part-of-speech tags do not fit in a byte")
    index = {name: i for i, name in enumerate(names)}
    counts, codes = array("q", bytes(8 * len(trie))), array("B", bytes(len(trie)))
    for key, i in trie.items():
        counts[i], codes[i] = freq[key], index[tags[key]] if key in tags else _NO_TAG

    def write(tmp: Path) -> None:
        trie.save(str(tmp / "keys.marisa"))
        (tmp / "freq.q").write_bytes(counts.tobytes())
        (tmp / "tags.B").write_bytes(codes.tobytes())
        (tmp / "meta.json").write_text(json.dumps({"format": FORMAT, "source_sha256": digest,
                                                   "total": total, "tags": names}))

    tables.publish(folder, write)


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


class Lexicon:
    """A jieba Tokenizer (words, word counts) and POSTokenizer (tags) that belong to the bot alone."""

    def __init__(self, freq: Mapping[str, int], total: int, tags: Mapping[str, str]):
        import jieba

        self.tokenizer = jieba.Tokenizer()
        self.tokenizer.FREQ, self.tokenizer.total, self.tokenizer.initialized = freq, total, True
        # POSTokenizer's constructor would read the tags from jieba's dictionary file: they are given.
        self.tagger = object.__new__(_posseg_code().POSTokenizer)
        self.tagger.tokenizer, self.tagger.word_tag_tab = self.tokenizer, tags

    @classmethod
    def compact(cls, folder: Path) -> "Lexicon":
        """Over the memory-mapped tables in `folder` (see `prepare`)."""
        freq, tags, total = _load(folder)
        return cls(freq, total, tags)

    @classmethod
    def stock(cls) -> "Lexicon":
        """Over jieba's dictionary file, read into Python dicts as jieba reads it."""
        freq, total, tags = _dictionary()
        return cls(freq, total, tags)


@functools.lru_cache(maxsize=1)
def _posseg_code():
    """jieba.posseg's code, as a module of the bot's own.

    Importing jieba.posseg builds a process-wide tagger from jieba's dictionary file (~45 MB,
    ~0.8 s): the compact tables exist to avoid that, and the bot must not patch jieba to skip
    it. So the package's code runs here unchanged in a private module, which sys.modules never
    holds: its own submodules (the HMM tables, viterbi) load privately too, and while it runs,
    `jieba.dt` reads as an empty dictionary, so the tagger it builds at import reads nothing."""
    import jieba

    spec = importlib.util.find_spec("jieba.posseg")  # locates the package without importing it
    module = importlib.util.module_from_spec(spec)
    folder = Path(spec.origin).parent
    at_import = SimpleNamespace(dt=SimpleNamespace(get_dict_file=io.BytesIO))
    real_import = builtins.__import__

    def private_import(name, globals=None, locals=None, fromlist=(), level=0):
        if level == 1:  # from .viterbi / .char_state_tab / .prob_*: the package's own modules
            sub = importlib.util.spec_from_file_location(f"{spec.name}.{name}", folder / f"{name}.py")
            own = importlib.util.module_from_spec(sub)
            sub.loader.exec_module(own)
            return own
        if level == 0 and name == "jieba":
            return at_import
        return real_import(name, globals, locals, fromlist, level)

    imports = dict(vars(builtins), __import__=private_import)
    module.__builtins__ = imports
    spec.loader.exec_module(module)
    imports["__import__"] = real_import  # its functions keep these builtins: import as usual from now on
    module.jieba = jieba
    return module


_installed: list[Lexicon] = []  # the compact tables, once `install` found them


def install(cache_dir: Path) -> bool:
    """Give the bot's segmentation and tagging the compact tables, building them under
    `cache_dir` the first time. Returns False, with a warning, when they can be neither found
    nor written; the bot's jieba then reads its dictionary file as usual."""
    with _lock:
        if _installed:
            return True
        try:
            _installed.append(Lexicon.compact(prepare(cache_dir)))
        except (OSError, ValueError) as exc:
            logger.warning("jieba's dictionary stays in Python dicts (~90 MB more): %s", exc)
            return False
        return True


def current() -> Lexicon:
    """The bot's lexicon: over the compact tables once installed, else over jieba's dictionary file."""
    return _installed[0] if _installed else _stock()


@functools.lru_cache(maxsize=1)
def _stock() -> Lexicon:
    return Lexicon.stock()


def posseg():
    """The bot's part-of-speech tagger (a jieba.posseg.POSTokenizer: `.cut(text)` yields pairs)."""
    return current().tagger


def word_frequency(word: str) -> int:
    """How often jieba's dictionary counts `word` (0 for prefixes and unknown words)."""
    return current().tokenizer.FREQ.get(word) or 0


def cut(text: str) -> list[str]:
    """jieba's words of `text`."""
    return current().tokenizer.lcut(text)


def cut_for_search(text: str) -> list[str]:
    """jieba's words of `text` for a search index (long words also cut into their words)."""
    return current().tokenizer.lcut_for_search(text)
