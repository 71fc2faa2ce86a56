"""Curated facts: load, validate against the article, and report figure coverage."""
from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

import yaml

from bot.errors import FactsError
from bot.knowledge.numbers import figure_tokens, numbers_in

GLOSSARY = "glossary.yaml"
OUT_OF_SCOPE = "out-of-scope.yaml"
FIELDS = ("id", "text", "quote", "section", "figures", "questions")
# Training data beside each fact: ways to ask what it states, and questions about the same
# subject that the article does not answer. Optional for loading, counted by `check`.
TRAINING_FIELDS = ("variants", "not_answered")
STYLES = ("plain", "colloquial", "terse", "traditional", "typo", "mixed", "wh")
MISS_KINDS = ("attribute", "place", "year", "unnamed", "general")
MIN_VARIANTS, MIN_NOT_ANSWERED = 15, 5
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d\d(?!\d)")
_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
_WS = re.compile(r"\s+")
_CJK_KEY = re.compile(r"[\u4e00-\u9fff]")


# libyaml's parser when PyYAML has it: the facts are ~1 MB of YAML, and the pure-Python
# parser takes ~0.25 s of every start to read them.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(text: str):
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


def is_everyday(key: str) -> bool:
    """Whether a glossary key is an everyday Chinese expression (拉人入会), not an English term."""
    return bool(_CJK_KEY.match(key))


def squeeze(text: str) -> str:
    """The article's comparison form: all whitespace and page breaks removed."""
    return _WS.sub("", text)


@dataclass(frozen=True)
class Fact:
    """One self-contained statement of the article, with its verbatim support."""

    id: str
    text: str
    quote: tuple[str, ...]
    section: str
    figures: tuple[str, ...]
    questions: tuple[str, ...]
    source: str = ""
    variants: tuple[tuple[str, str], ...] = ()      # (style, question) the fact answers
    not_answered: tuple[tuple[str, str], ...] = ()  # (kind, question) the article does not answer

    @property
    def quote_text(self) -> str:
        return "……".join(self.quote)

    @property
    def asked(self) -> tuple[str, ...]:
        """Every way of asking what this fact states: the curated questions, then the variants."""
        return self.questions + tuple(q for _, q in self.variants)


@dataclass(frozen=True)
class Meta:
    """What the article is: title, paper, year and its section headings."""

    title: str
    paper: str
    year: int
    authors: str
    sections: tuple[str, ...]
    people: tuple[str, ...] = ()          # the people, places and organisations the article names
    places: tuple[str, ...] = ()
    organizations: tuple[str, ...] = ()
    summary: str = ""                     # what the article covers, in a phrase
    examples: tuple[str, ...] = ()        # questions shown to a new user

    @property
    def names(self) -> tuple[str, ...]:
        return self.people + self.places + self.organizations


@dataclass(frozen=True)
class FactBase:
    """All facts plus the article they were checked against."""

    facts: tuple[Fact, ...]
    meta: Meta
    article: str
    digest: str
    glossary: tuple[tuple[str, str], ...] = ()
    out_of_scope: tuple[tuple[str, str], ...] = ()  # (kind, question): general questions to refuse

    def by_id(self, fact_id: str) -> Fact:
        return self._by_id[fact_id]

    @functools.cached_property
    def _by_id(self) -> dict[str, Fact]:
        return {f.id: f for f in self.facts}

    @property
    def allowed_numbers(self) -> frozenset[str]:
        """Numbers a reply may state beyond its quotes: the article's own year, which
        the article writes as 今年."""
        return frozenset({str(self.meta.year)})


def states_all(outer: Fact, inner: Fact, year: int = 0) -> bool:
    """Whether fact `outer` states everything fact `inner` does (a summary and one of its parts)."""
    if squeeze(inner.quote_text) in squeeze(outer.quote_text) and squeeze(inner.text) != squeeze(outer.text):
        return len(numbers_in(inner.text)) <= len(numbers_in(outer.text))
    own = set(numbers_in(inner.text)) - {str(year)}
    return bool(own) and own <= set(numbers_in(outer.text))


def _as_tuple(value) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def _labelled(value, labels: tuple[str, ...], where: str, field: str) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """A mapping label → list of questions, as (label, question) pairs in file order."""
    if value is None:
        return (), []
    if not isinstance(value, dict):
        return (), [f"{where}: {field} must map a label ({', '.join(labels)}) to a list of questions"]
    pairs, problems = [], []
    for label, items in value.items():
        if label not in labels:
            problems.append(f"{where}: {field}: unknown label {label!r} (use {', '.join(labels)})")
            continue
        for q in _as_tuple(items):
            if not q.strip():
                problems.append(f"{where}: {field}: empty question under {label}")
            else:
                pairs.append((str(label), q.strip()))
    return tuple(pairs), problems


def _check_training(fact: "Fact", where: str, year: int) -> list[str]:
    """Variants name only the fact's years; no question is both a variant and a near-miss."""
    problems = []
    years = set(_YEAR.findall(fact.text)) | {str(year)}
    for _, q in fact.variants:
        extra = set(_YEAR.findall(q)) - years
        if extra:
            problems.append(f"{where}: variant names a year the fact does not: {q!r}")
    asked = {squeeze(q) for q in fact.asked}
    for _, q in fact.not_answered:
        if squeeze(q) in asked:
            problems.append(f"{where}: {q!r} is both a variant and not_answered")
    return problems


def _check_fields(raw: dict, where: str) -> list[str]:
    problems = []
    for key in FIELDS:
        if key not in raw:
            problems.append(f"{where}: missing field '{key}'")
        elif key != "figures" and not raw[key]:
            problems.append(f"{where}: empty field '{key}'")
    extra = set(raw) - set(FIELDS) - set(TRAINING_FIELDS)
    if extra:
        problems.append(f"{where}: unknown field(s) {', '.join(sorted(extra))}")
    return problems


def _check_fact(fact: Fact, where: str, article: str, meta: Meta) -> list[str]:
    problems = []
    if not _SLUG.match(fact.id):
        problems.append(f"{where}: id must be a lowercase slug (a-z, 0-9, -)")
    for span in fact.quote:
        if not span.strip():
            problems.append(f"{where}: empty quote span")
        elif squeeze(span) not in article:
            problems.append(f"{where}: quote is not verbatim in the article: {span[:40]!r}")
    quote = squeeze(fact.quote_text)
    for fig in fact.figures:
        if not fig.strip() or squeeze(fig) not in quote:
            problems.append(f"{where}: figure {fig!r} is not in the quote")
    allowed = set(numbers_in(quote)) | {str(meta.year)}
    for fig in fact.figures:
        allowed.update(numbers_in(fig))
    for number in numbers_in(fact.text):
        if number not in allowed:
            problems.append(f"{where}: number {number} in text is not in the quote")
    for fig in fact.figures:
        for number in numbers_in(fig):
            if number not in numbers_in(quote):
                problems.append(f"{where}: number {number} in figures is not in the quote")
    if fact.section not in meta.sections:
        problems.append(f"{where}: section {fact.section!r} is not listed in meta.yaml")
    if not 3 <= len(fact.questions) <= 6:
        problems.append(f"{where}: needs 3-6 questions, has {len(fact.questions)}")
    if any(not q.strip() for q in fact.questions):
        problems.append(f"{where}: empty question")
    return problems


def _load_meta(facts_dir: Path) -> Meta:
    path = facts_dir / "meta.yaml"
    try:
        raw = _yaml(path.read_text(encoding="utf-8"))
        return Meta(raw["title"], raw["paper"], int(raw["year"]), raw.get("authors", ""),
                    tuple(raw["sections"]), _as_tuple(raw.get("people")), _as_tuple(raw.get("places")),
                    _as_tuple(raw.get("organizations")), str(raw.get("summary") or ""),
                    _as_tuple(raw.get("examples")))
    except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
        raise FactsError(f"{path}: cannot read metadata ({exc})") from None


def _load_glossary(facts_dir: Path, article: str) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """English (or everyday Chinese) → the article's term; every term must occur in the article,
    and an everyday Chinese expression must not (拉人入会 → 发展会员)."""
    path = facts_dir / GLOSSARY
    if not path.is_file():
        return (), []
    try:
        raw = _yaml(path.read_text(encoding="utf-8")) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return (), [f"{GLOSSARY}: cannot parse YAML ({str(exc).splitlines()[0]})"]
    if not isinstance(raw, dict):
        return (), [f"{GLOSSARY}: must be a mapping of English term to Chinese term"]
    pairs, problems = [], []
    for en, zh in raw.items():
        en, zh = str(en).strip().lower(), str(zh or "").strip()
        if not en or not zh:
            problems.append(f"{GLOSSARY}: {en or '?'}: empty term")
        elif squeeze(zh) not in article:
            problems.append(f"{GLOSSARY}: {en}: Chinese term {zh!r} is not in the article")
        elif is_everyday(en) and squeeze(en) in article:
            problems.append(f"{GLOSSARY}: {en}: an everyday expression must not be the article's own words")
        else:
            pairs.append((en, zh))
    return tuple(pairs), problems


def _read_yaml_list(path: Path, cache_dir: Path | None = None) -> tuple[list, list[str]]:
    try:
        data = _parsed(path, cache_dir)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        return [], [f"{path.name}: cannot parse YAML ({str(exc).splitlines()[0]})"]
    if data is None:
        return [], []
    if not isinstance(data, list):
        return [], [f"{path.name}: top level must be a list of facts"]
    return data, []


def _parsed(path: Path, cache_dir: Path | None):
    """A YAML file's data; with `cache_dir`, kept there as JSON under the file's digest, since
    JSON reads about ten times faster than YAML (the facts' variants are most of every start)."""
    raw = path.read_bytes()
    if cache_dir is None:
        return _yaml(raw.decode("utf-8"))
    digest, cached = hashlib.sha256(raw).hexdigest(), cache_dir / f"{path.name}.json"
    try:
        stored = json.loads(cached.read_text(encoding="utf-8"))
        if stored.get("sha256") == digest:
            return stored["data"]
    except (OSError, ValueError, AttributeError):
        pass  # no cache yet, or one of another version of the file
    data = _yaml(raw.decode("utf-8"))
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps({"sha256": digest, "data": data}, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, cached)
    except (OSError, TypeError, ValueError):  # read-only, or data JSON cannot hold: parse each time
        pass
    return data


def load_facts(facts_dir: Path, cache_dir: Path | None = None) -> FactBase:
    """Load and validate every `facts/*.yaml`; raise FactsError listing all problems.
    `cache_dir`: where parsed files may be kept (see `_parsed`)."""
    facts_dir = Path(facts_dir)
    meta = _load_meta(facts_dir)
    try:
        article_raw = (facts_dir / "article.txt").read_text(encoding="utf-8")
    except OSError as exc:
        raise FactsError(f"{facts_dir / 'article.txt'}: cannot read the article ({exc})") from None
    article = squeeze(article_raw)
    facts, seen = [], {}
    glossary, problems = _load_glossary(facts_dir, article)
    problems += [f"meta.yaml: {name!r} is not in the article" for name in meta.names if squeeze(name) not in article]
    files = _fact_files(facts_dir)
    for path in files:
        items, errs = _read_yaml_list(path, cache_dir)
        problems += errs
        for n, raw in enumerate(items, 1):
            fid = raw.get("id") if isinstance(raw, dict) else None
            where = f"{path.name}: {fid or f'item {n}'}"
            if not isinstance(raw, dict):
                problems.append(f"{where}: must be a mapping")
                continue
            field_problems = _check_fields(raw, where)
            problems += field_problems
            if field_problems:
                continue
            variants, errs_v = _labelled(raw.get("variants"), STYLES, where, "variants")
            missed, errs_n = _labelled(raw.get("not_answered"), MISS_KINDS, where, "not_answered")
            problems += errs_v + errs_n
            fact = Fact(str(raw["id"]), str(raw["text"]).strip(), _as_tuple(raw["quote"]),
                        str(raw["section"]).strip(), _as_tuple(raw["figures"]),
                        _as_tuple(raw["questions"]), path.name, variants, missed)
            if fact.id in seen:
                problems.append(f"{where}: duplicate id (also in {seen[fact.id]})")
            seen[fact.id] = path.name
            problems += _check_fact(fact, where, article, meta)
            problems += _check_training(fact, where, meta.year)
            facts.append(fact)
    if not facts and not problems:
        problems.append(f"{facts_dir}: no facts found (*.yaml)")
    out_of_scope, errs = _load_out_of_scope(facts_dir)
    problems += errs
    if problems:
        raise FactsError(f"{len(problems)} problem(s) in {facts_dir}:\n  " + "\n  ".join(problems))
    digest = _digest(facts_dir, files)
    return FactBase(tuple(facts), meta, article_raw, digest, glossary, out_of_scope)


def _load_out_of_scope(facts_dir: Path) -> tuple[tuple[tuple[str, str], ...], list[str]]:
    """General questions the article does not answer: a list of {q, kind}."""
    path = facts_dir / OUT_OF_SCOPE
    if not path.is_file():
        return (), []
    items, problems = _read_yaml_list(path)
    pairs = []
    for n, item in enumerate(items, 1):
        if not isinstance(item, dict) or not str(item.get("q") or "").strip():
            problems.append(f"{OUT_OF_SCOPE}: item {n}: needs a non-empty q")
            continue
        pairs.append((str(item.get("kind") or "general"), str(item["q"]).strip()))
    return tuple(pairs), problems


def _fact_files(facts_dir: Path) -> list[Path]:
    return sorted(p for p in facts_dir.glob("*.yaml") if p.name not in ("meta.yaml", GLOSSARY, OUT_OF_SCOPE))


def _digest(facts_dir: Path, files: list[Path]) -> str:
    h = hashlib.sha256()
    extra = [facts_dir / OUT_OF_SCOPE] if (facts_dir / OUT_OF_SCOPE).is_file() else []
    for path in [facts_dir / "meta.yaml", facts_dir / "article.txt", *files, *extra]:
        h.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def facts_digest(facts_dir: Path) -> str:
    """Hash of the fact files as they are on disk now (for staleness checks)."""
    facts_dir = Path(facts_dir)
    return _digest(facts_dir, _fact_files(facts_dir))


def missing_figures(base: FactBase) -> list[str]:
    """Figure tokens of the article that no fact carries, each with its context.

    A token occurrence is carried when some fact's quote spans it and one of that
    fact's figures contains the token."""
    article = squeeze(base.article)
    spans = []
    for fact in base.facts:
        for part in fact.quote:
            part = squeeze(part)
            start = article.find(part)
            while start >= 0:
                spans.append((start, start + len(part), fact))
                start = article.find(part, start + 1)
    missing = []
    for s, e, token in figure_tokens(article):
        carried = any(qs <= s and e <= qe and any(token in squeeze(f) for f in fact.figures)
                      for qs, qe, fact in spans)
        if not carried:
            missing.append(f"{token} (…{article[max(0, s - 12):e + 6]}…)")
    return missing


def thin_training(base: FactBase) -> list[str]:
    """Facts with fewer variants or near-misses than the verifier needs, for `check`."""
    out = []
    for fact in base.facts:
        nv, nn = len(fact.variants), len(fact.not_answered)
        if nv < MIN_VARIANTS or nn < MIN_NOT_ANSWERED:
            out.append(f"{fact.id} ({fact.source}): {nv} variants, {nn} not_answered "
                       f"(need {MIN_VARIANTS} and {MIN_NOT_ANSWERED})")
    return out
