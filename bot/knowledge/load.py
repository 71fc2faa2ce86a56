"""Reading facts/: every file parsed (kept as JSON), checked, and loaded into one FactBase with its digest."""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import yaml

from bot.errors import FactsError
from bot.knowledge.facts import Fact, FactBase, Meta, is_everyday, squeeze
from bot.knowledge.validate import check_fact, check_fields, check_training

GLOSSARY = "glossary.yaml"
OUT_OF_SCOPE = "out-of-scope.yaml"
STYLES = ("plain", "colloquial", "terse", "traditional", "typo", "mixed", "wh")
MISS_KINDS = ("attribute", "place", "year", "unnamed", "general")
# libyaml's parser when PyYAML has it: the facts are ~1 MB of YAML, and the pure-Python
# parser takes ~0.25 s of every start to read them.
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _yaml(text: str):
    return yaml.load(text, Loader=_LOADER)  # noqa: S506 - a safe loader


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


def _load_meta(facts_dir: Path) -> Meta:
    path = facts_dir / "meta.yaml"
    try:
        raw = _yaml(path.read_text(encoding="utf-8"))
        return Meta(raw["title"], raw["paper"], int(raw["year"]), raw.get("authors", ""),
                    tuple(raw["sections"]), _as_tuple(raw.get("people")), _as_tuple(raw.get("places")),
                    _as_tuple(raw.get("organizations")), str(raw.get("summary") or ""),
                    _as_tuple(raw.get("examples")), str(raw.get("subject") or ""))
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
            fact, errs = _read_fact(raw, where, path.name)
            problems += errs
            if fact is None:
                continue
            if fact.id in seen:
                problems.append(f"{where}: duplicate id (also in {seen[fact.id]})")
            seen[fact.id] = path.name
            problems += check_fact(fact, where, article, meta)
            problems += check_training(fact, where, meta.year)
            facts.append(fact)
    if not facts and not problems:
        problems.append(f"{facts_dir}: no facts found (*.yaml)")
    out_of_scope, errs = _load_out_of_scope(facts_dir)
    problems += errs
    if problems:
        raise FactsError(f"{len(problems)} problem(s) in {facts_dir}:\n  " + "\n  ".join(problems))
    digest = _digest(facts_dir, files)
    return FactBase(tuple(facts), meta, article_raw, digest, glossary, out_of_scope)


def _read_fact(raw, where: str, source: str) -> tuple[Fact | None, list[str]]:
    """One item of a fact file as a Fact, or None with the problems that prevent it."""
    if not isinstance(raw, dict):
        return None, [f"{where}: must be a mapping"]
    problems = check_fields(raw, where)
    if problems:
        return None, problems
    variants, errs_v = _labelled(raw.get("variants"), STYLES, where, "variants")
    missed, errs_n = _labelled(raw.get("not_answered"), MISS_KINDS, where, "not_answered")
    fact = Fact(str(raw["id"]), str(raw["text"]).strip(), _as_tuple(raw["quote"]),
                str(raw["section"]).strip(), _as_tuple(raw["figures"]),
                _as_tuple(raw["questions"]), source, variants, missed)
    return fact, errs_v + errs_n


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
