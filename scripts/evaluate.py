#!/usr/bin/env python
"""Evaluate the bot on a YAML question set; write reports/eval.{md,json,png}.

  python scripts/evaluate.py                       # tests/data/questions.yaml
  python scripts/evaluate.py --set other.yaml --gate
  python scripts/evaluate.py --sweep               # threshold precision/recall table
  python scripts/evaluate.py --compare             # fusion × tokeniser × question prompt
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.testing import evaluation as ev  # noqa: E402
from bot.pipeline.engine import Engine  # noqa: E402
from bot.settings import Settings  # noqa: E402

SWEEP = [0.2, 0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.8]


def markdown(summary: dict, outcomes, sweep_rows=None, compare_rows=None, turns=()) -> str:
    acc, ab, rt, lat = summary["accuracy"], summary["abstention"], summary["retrieval"], summary["latency_ms"]
    s = summary["settings"]
    lines = ["# Evaluation report", "",
             f"- questions: {summary['questions']['in_scope']} in scope, {summary['questions']['out_of_scope']} out of scope",
             f"- **in-scope accuracy {acc['in_scope']:.1%}**, **out-of-scope abstention {acc['out_of_scope_abstention']:.1%}**, overall {acc['overall']:.1%}",
             f"- abstention precision {ab['precision']:.1%}, recall {ab['recall']:.1%}",
             f"- figure fidelity {summary['figure_fidelity']:.1%} (answers whose every number is in their quotes)",
             f"- retrieval hit@1 {rt['hit@1']:.1%}, hit@3 {rt['hit@3']:.1%}, MRR {rt['mrr']:.3f}",
             f"- latency p50 {lat['p50']} ms, p95 {lat['p95']} ms", "",
             "## Thresholds and retrieval settings", "",
             "| setting | value |", "|---|---|"]
    for key in ("fusion", "tokenizer", "question_prompt", "dense_weight", "dense_floor", "number_bonus",
                "min_verified", "top_k", "rrf_k"):
        lines.append(f"| {key} | {s[key]} |")
    lines += ["", "## Accuracy per style", "", "| style | n | accuracy |", "|---|---|---|"]
    for key, v in summary["accuracy"]["by_style"].items():
        lines.append(f"| {key} | {v['n']} | {v['accuracy']:.1%} |")
    if sweep_rows:
        lines += ["", "## Threshold sweep (precision/recall trade-off)", "",
                  "| min_verified | in-scope acc | abstain P | abstain R |", "|---|---|---|---|"]
        for r in sweep_rows:
            lines.append(f"| {r['min_verified']:.2f} | {r['in_scope_accuracy']:.1%} | "
                         f"{r['abstain_precision']:.1%} | {r['abstain_recall']:.1%} |")
    if compare_rows:
        lines += ["", "## Retrieval configurations", "",
                  "| fusion | tokenizer | question prompt | in-scope acc | abstention | hit@1 | MRR |",
                  "|---|---|---|---|---|---|---|"]
        for r in compare_rows:
            lines.append(f"| {r['fusion']} | {r['tokenizer']} | {r['question_prompt']} | {r['in_scope']:.1%} | "
                         f"{r['abstention']:.1%} | {r['hit@1']:.1%} | {r['mrr']:.3f} |")
    if turns:
        c = summary["conversations"]
        lines += ["", "## Conversations", "",
                  f"- {c['conversations']} conversations; first turns right {c['first_turns_right']:.1%}; "
                  f"follow-ups right {c['follow_ups_right']:.1%}; figure fidelity {c['figure_fidelity']:.1%}", "",
                  "| follow-up style | n | right |", "|---|---|---|"]
        lines += [f"| {k} | {v['n']} | {v['right']:.1%} |" for k, v in c["by_style"].items()]
        bad = [(i, o) for i, o in turns if not o.correct]
        lines += ["", f"### Turns that failed ({len(bad)})", ""]
        for i, o in bad:
            want = "abstain" if not o.case.in_scope else f"any={list(o.case.any)} all={list(o.case.all)}"
            lines.append(f"- [{o.case.label}, turn {i + 1}] **{o.case.q}** — expected {want}; reply: "
                         f"{o.answer.replace(chr(10), ' ⏎ ')[:240]}")
    failures = [o for o in outcomes if not o.correct]
    lines += ["", f"## Failures ({len(failures)})", ""]
    for o in failures:
        want = "abstain" if not o.case.in_scope else f"any={list(o.case.any)} all={list(o.case.all)}"
        reply = o.answer.replace("\n", " ⏎ ")
        lines.append(f"- [{o.case.label}] **{o.case.q}** — expected {want}; rank {o.rank}; "
                     f"reason {o.reason}; reply: {reply[:300]}")
    return "\n".join(lines) + "\n"


def chart(summary: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    items = summary["accuracy"]["by_style"]
    fig, ax = plt.subplots(figsize=(9, 4))
    ax.bar(list(items), [v["accuracy"] * 100 for v in items.values()],
           color=["#3b7dd8" if k.startswith("in:") else "#d8843b" for k in items])
    ax.axhline(ev.GATE_IN_SCOPE * 100, color="red", linestyle="--", linewidth=1)
    ax.set_ylim(0, 100)
    ax.set_ylabel("accuracy %")
    ax.set_title("Accuracy per style (blue: in scope; orange: must abstain)")
    plt.xticks(rotation=40, ha="right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def compare(settings, cases) -> list[dict]:
    """Each retrieval configuration on a scratch index, thresholds held fixed."""
    from bot.knowledge.embedder import Embedder

    embedder = Embedder.from_settings(settings)
    rows = []
    with tempfile.TemporaryDirectory(prefix="qa-compare-") as tmp:
        for prompt in ("query", "passage"):
            for tok in ("bigram", "jieba", "bigram+pinyin"):
                for fusion in ("convex", "rrf"):
                    s = settings.replace(index_dir=Path(tmp) / f"{prompt}-{tok}", tokenizer=tok,
                                         fusion=fusion, question_prompt=prompt, on_stale="rebuild")
                    summary = ev.summarize(ev.run(Engine.load(s, embedder), cases), s)
                    rows.append({"fusion": fusion, "tokenizer": tok, "question_prompt": prompt,
                                 "in_scope": summary["accuracy"]["in_scope"],
                                 "abstention": summary["accuracy"]["out_of_scope_abstention"],
                                 **summary["retrieval"]})
                    print(json.dumps(rows[-1]), flush=True)
    return rows


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--set", type=Path, default=ROOT / "tests" / "data" / "questions.yaml")
    p.add_argument("--out", type=Path, default=ROOT / "reports")
    p.add_argument("--sweep", action="store_true", help="add the threshold sweep table")
    p.add_argument("--compare", action="store_true", help="compare fusion/tokeniser/prompt (slow)")
    p.add_argument("--gate", action="store_true", help="exit 1 below the gates (bot.testing.evaluation: 97%%)")
    args = p.parse_args()
    logging.basicConfig(level=logging.WARNING)
    settings = Settings.from_env()
    cases = ev.load_cases(args.set)
    conversations = ev.load_conversations(args.set)
    engine = Engine.load(settings)
    t0 = time.perf_counter()
    outcomes = ev.run(engine, cases)
    summary = ev.summarize(outcomes, settings)
    turns = ev.run_conversations(engine, conversations) if conversations else []
    if turns:
        summary["conversations"] = ev.summarize_conversations(turns)
    summary["eval_seconds"] = round(time.perf_counter() - t0, 1)
    sweep_rows = ev.sweep(engine, cases, SWEEP) if args.sweep else None
    compare_rows = compare(settings, cases) if args.compare else None
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "eval.json").write_text(json.dumps(
        summary | {"sweep": sweep_rows, "compare": compare_rows,
                   "failures": [{"q": o.case.q, "label": o.case.label, "reply": o.answer, "reason": o.reason}
                                for o in outcomes if not o.correct],
                   "conversation_failures": [{"turn": i, "q": o.case.q, "style": o.case.label, "reply": o.answer}
                                             for i, o in turns if not o.correct]}, ensure_ascii=False, indent=2))
    (args.out / "eval.md").write_text(markdown(summary, outcomes, sweep_rows, compare_rows, turns))
    if outcomes:
        chart(summary, args.out / "eval-styles.png")
    if turns:
        c = summary["conversations"]
        print(f"conversations {c['conversations']} | first turns {c['first_turns_right']:.1%} | "
              f"follow-ups {c['follow_ups_right']:.1%} | fidelity {c['figure_fidelity']:.1%}")
        for key, v in c["by_style"].items():
            print(f"  follow-up {key:<14} {v['right']:6.1%}  (n={v['n']})")
    if not outcomes:
        return 0
    acc = summary["accuracy"]
    print(f"in-scope {acc['in_scope']:.1%} | abstention {acc['out_of_scope_abstention']:.1%} | "
          f"abstain P {summary['abstention']['precision']:.1%} R {summary['abstention']['recall']:.1%} | "
          f"hit@1 {summary['retrieval']['hit@1']:.1%} MRR {summary['retrieval']['mrr']:.3f} | "
          f"fidelity {summary['figure_fidelity']:.1%} | p50 {summary['latency_ms']['p50']} ms p95 {summary['latency_ms']['p95']} ms")
    for key, v in acc["by_style"].items():
        print(f"  {key:<18} {v['accuracy']:6.1%}  (n={v['n']})")
    print(f"report: {args.out / 'eval.md'}")
    if args.gate and (acc["in_scope"] < ev.GATE_IN_SCOPE or acc["out_of_scope_abstention"] < ev.GATE_ABSTAIN):
        print(f"gate failed: in-scope must be ≥ {ev.GATE_IN_SCOPE:.0%} and abstention ≥ {ev.GATE_ABSTAIN:.0%}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
