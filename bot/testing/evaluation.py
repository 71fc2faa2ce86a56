"""Evaluation over a YAML question set: accuracy per style, abstention P/R, retrieval, latency."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from bot.adapters import render
from bot.knowledge.facts import squeeze
from bot.knowledge.numbers import numbers_in
from bot.pipeline.arithmetic import recomputed
from bot.pipeline.decide import classify

GATE_IN_SCOPE = 0.97
GATE_ABSTAIN = 0.97
GATE_FOLLOWUPS = 0.85   # follow-up turns right on tests/data/conversations.yaml (README "Evaluation")


@dataclass(frozen=True)
class Case:
    q: str
    in_scope: bool
    label: str                      # style (in scope) or kind (out of scope)
    any: tuple[str, ...] = ()
    all: tuple[str, ...] = ()
    facts: tuple[str, ...] = ()     # gold fact ids, when the set gives them


@dataclass
class Outcome:
    case: Case
    answer: str
    abstained: bool
    correct: bool
    latency_ms: float
    rank: int | None = None         # 1-based rank of the first relevant fact
    reason: str = ""
    facts: list = field(default_factory=list)
    faithful: bool = True           # every number of the reply is in its cited quotes
    understood_as: str = ""         # how a conversation turn was read in context ('' when alone)


def load_cases(path: Path) -> list[Case]:
    """Read the schema: in_scope (q, style, any/all, facts?) and out_of_scope (q, kind)."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    cases = []
    for item in data.get("in_scope", []):
        if not item.get("any") and not item.get("all"):
            raise ValueError(f"{path}: in-scope question without any/all: {item.get('q')!r}")
        cases.append(Case(str(item["q"]), True, item.get("style", "plain"),
                          tuple(map(str, item.get("any", []))), tuple(map(str, item.get("all", []))),
                          tuple(item.get("facts", []))))
    for item in data.get("out_of_scope", []):
        cases.append(Case(str(item["q"]), False, item.get("kind", "other")))
    return cases


@dataclass(frozen=True)
class Conversation:
    """A chat of several turns; the first stands alone, the others may lean on it."""

    style: str
    turns: tuple[Case, ...]


def load_conversations(path: Path) -> list[Conversation]:
    """The `conversations:` part of a set: [{style, turns: [{q, any|all|abstain}]}]."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    out = []
    for n, item in enumerate(data.get("conversations", []) or []):
        turns = []
        for t in item.get("turns", []):
            abstain = bool(t.get("abstain"))
            if not abstain and not t.get("any") and not t.get("all"):
                raise ValueError(f"{path}: conversation {n + 1}: a turn needs any, all or abstain: {t.get('q')!r}")
            turns.append(Case(str(t["q"]), not abstain, item.get("style", "other"),
                              tuple(map(str, t.get("any", []))), tuple(map(str, t.get("all", [])))))
        out.append(Conversation(str(item.get("style", "other")), tuple(turns)))
    return out


def run_conversations(engine, conversations: list[Conversation], prefix: str = "eval") -> list[tuple[int, Outcome]]:
    """Every turn answered in its own chat, in order; (turn number, outcome) per turn."""
    out = []
    for n, conv in enumerate(conversations):
        chat = f"{prefix}-{n}"
        engine.conversations.clear(chat)
        for i, case in enumerate(conv.turns):
            ans = engine.answer(case.q, chat=chat)
            shown = render.text(ans.reply)
            out.append((i, Outcome(case, shown, ans.abstained, is_correct(case, shown, ans.abstained),
                                   ans.latency_ms, None, ans.reason, [f.id for f in ans.facts],
                                   ans.abstained or faithful(ans, engine.base), ans.understood_as)))
    return out


def summarize_conversations(turns: list[tuple[int, Outcome]]) -> dict:
    """Follow-up turns right per style, first turns, and figure fidelity."""
    follow = [o for i, o in turns if i > 0]
    by_style: dict[str, list[Outcome]] = {}
    for o in follow:
        by_style.setdefault(o.case.label, []).append(o)
    answered = [o for _, o in turns if not o.abstained]
    return {
        "conversations": len([1 for i, _ in turns if i == 0]),
        "first_turns_right": _ratio(sum(o.correct for i, o in turns if i == 0), sum(1 for i, _ in turns if i == 0)),
        "follow_ups_right": _ratio(sum(o.correct for o in follow), len(follow)),
        "by_style": {k: {"n": len(v), "right": _ratio(sum(o.correct for o in v), len(v))}
                     for k, v in sorted(by_style.items())},
        "figure_fidelity": _ratio(sum(o.faithful for o in answered), len(answered)),
        # a topic switch read in the previous question's context, and answered wrongly for it
        "switches_contaminated": sum(1 for o in follow if o.case.label == "switch" and o.understood_as
                                     and not o.correct),
        "switches_rewritten": sum(1 for o in follow if o.case.label == "switch" and o.understood_as),
    }


def is_correct(case: Case, answer: str, abstained: bool) -> bool:
    if not case.in_scope:
        return abstained
    if abstained:
        return False
    text = squeeze(answer)
    ok_all = all(squeeze(s) in text for s in case.all)
    ok_any = not case.any or any(squeeze(s) in text for s in case.any)
    return ok_all and ok_any


def relevant_facts(case: Case, base) -> set[str]:
    """Gold ids if given, else every fact whose statement or quote holds an expected string."""
    if case.facts:
        return set(case.facts)
    wanted = [squeeze(s) for s in (*case.any, *case.all)]
    return {f.id for f in base.facts
            if any(w in squeeze(f.text + f.quote_text) for w in wanted)}


def run(engine, cases: list[Case]) -> list[Outcome]:
    """Answer every case once and record the rank of its first relevant fact."""
    outcomes = []
    for case in cases:
        ans = engine.answer(case.q)
        rank = None
        if case.in_scope:
            relevant = relevant_facts(case, engine.base)
            text = engine.prepare(case.q)
            ranked = engine.retriever.search(text, engine.vector(text), k=len(engine.base.facts))
            rank = next((i for i, h in enumerate(ranked, 1) if h.fact_id in relevant), None)
        shown = render.text(ans.reply)
        outcomes.append(Outcome(case, shown, ans.abstained, is_correct(case, shown, ans.abstained),
                                ans.latency_ms, rank, ans.reason, [f.id for f in ans.facts],
                                ans.abstained or faithful(ans, engine.base)))
    return outcomes


def summarize(outcomes: list[Outcome], settings) -> dict:
    """Every number the report prints."""
    ins = [o for o in outcomes if o.case.in_scope]
    outs = [o for o in outcomes if not o.case.in_scope]
    by_label: dict[str, list[Outcome]] = {}
    for o in outcomes:
        key = ("in:" if o.case.in_scope else "out:") + o.case.label
        by_label.setdefault(key, []).append(o)
    abstained = [o for o in outcomes if o.abstained]
    ranks = [o.rank for o in ins]
    lat = np.array([o.latency_ms for o in outcomes]) if outcomes else np.zeros(1)
    return {
        "questions": {"in_scope": len(ins), "out_of_scope": len(outs)},
        "accuracy": {
            "in_scope": _ratio(sum(o.correct for o in ins), len(ins)),
            "out_of_scope_abstention": _ratio(sum(o.abstained for o in outs), len(outs)),
            "overall": _ratio(sum(o.correct for o in outcomes), len(outcomes)),
            "by_style": {k: {"n": len(v), "accuracy": _ratio(sum(o.correct for o in v), len(v))}
                         for k, v in sorted(by_label.items())},
        },
        "figure_fidelity": _ratio(sum(o.faithful for o in outcomes if not o.abstained),
                                  sum(not o.abstained for o in outcomes)),
        "abstention": {
            "precision": _ratio(sum(not o.case.in_scope for o in abstained), len(abstained)),
            "recall": _ratio(sum(o.abstained for o in outs), len(outs)),
        },
        "retrieval": {
            "hit@1": _ratio(sum(r == 1 for r in ranks), len(ranks)),
            "hit@3": _ratio(sum(r is not None and r <= 3 for r in ranks), len(ranks)),
            "mrr": round(float(np.mean([1 / r if r else 0 for r in ranks])) if ranks else 0.0, 4),
        },
        "latency_ms": {"p50": round(float(np.percentile(lat, 50)), 1),
                       "p95": round(float(np.percentile(lat, 95)), 1)},
        "settings": settings.public(),
    }


def _ratio(n: int, d: int) -> float:
    return round(n / d, 4) if d else 0.0


def sweep(engine, cases: list[Case], thresholds: list[float]) -> list[dict]:
    """Accuracy in and out of scope for each verifier threshold, reusing one retrieval and
    verification per case."""
    prepared = []
    for case in cases:
        text = engine.prepare(case.q)
        prepared.append((case, None if classify(text) else engine.examine_all(text)))
    rows = []
    for threshold in thresholds:
        s = engine.settings.replace(min_verified=float(threshold))
        tp = fp = fn = correct_in = 0
        for case, examined in prepared:
            decision = engine.decision(examined, s) if examined else None
            ab = decision is None or decision.abstained
            if case.in_scope:
                correct_in += not ab and _covers(case, decision, engine.base)
                fp += ab
            else:
                tp += ab
                fn += not ab
        n_in = sum(c.in_scope for c, _ in prepared)
        rows.append({"min_verified": float(threshold), "in_scope_accuracy": _ratio(correct_in, n_in),
                     "abstain_precision": _ratio(tp, tp + fp), "abstain_recall": _ratio(tp, tp + fn)})
    return rows


def _covers(case: Case, decision, base) -> bool:
    text = " ".join(base.by_id(h.fact_id).text + base.by_id(h.fact_id).quote_text for h in decision.hits)
    return is_correct(case, text, False)


def faithful(answer, base) -> bool:
    """Whether every number of an answer stands in its cited quotes or their sections (the
    line restating how a follow-up was read is the user's own words, as for the number guard)."""
    sources = " ".join(base.by_id(f.id).quote_text + base.by_id(f.id).section for f in answer.facts)
    shown = render.text(answer.reply)
    text = shown.split("\n", 1)[1] if answer.understood_as else shown
    quoted = set(numbers_in(sources)) | base.allowed_numbers
    lines = []
    for line in text.split("\n"):  # a computed line: its operands quoted, its result recomputed
        computed = recomputed(line)
        if computed and set(computed[0]) <= quoted:
            continue
        lines.append(line)
    return set(numbers_in("\n".join(lines))) <= quoted
