"""Question streams for the benchmark, the load test and the soak, drawn from facts/ and the
evaluation set: as many as asked for, deterministic, and as varied as real traffic."""
from __future__ import annotations

import itertools
import random
from pathlib import Path

import yaml

# Ways people open and close a question; each (opener, closer) pair gives a new text for the
# reply cache while asking the same thing.
OPENERS = ("", "请问", "我想知道", "麻烦问一下，", "你好，", "想了解一下", "问下", "能告诉我")
CLOSERS = ("", "？", "呢", "啊？", "。谢谢", "!", "？？", "，知道吗")


def evaluation_questions(path: Path) -> list[str]:
    """Every question of an evaluation set (tests/data/questions.yaml), in scope first."""
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    return [c["q"] for c in data.get("in_scope", [])] + [c["q"] for c in data.get("out_of_scope", [])]


def base_questions(base, evaluation: Path | None = None) -> list[str]:
    """Every distinct question the project holds: each fact's ways of asking, its near-misses,
    the general out-of-scope questions and (if given) the evaluation set."""
    pool = [q for f in base.facts for q in f.asked] + [q for f in base.facts for _, q in f.not_answered]
    pool += [q for _, q in base.out_of_scope]
    if evaluation is not None:
        pool += evaluation_questions(evaluation)
    return list(dict.fromkeys(q for q in pool if q.strip()))


def varied(pool: list[str], n: int, seed: int = 20130701) -> list[str]:
    """`n` questions, all distinct while the pool allows: the pool shuffled, then again with
    every opener and closer, so a long run keeps meeting questions it has not seen."""
    rng = random.Random(seed)
    wraps = list(itertools.product(OPENERS, CLOSERS))
    rng.shuffle(wraps)
    wraps.remove(("", ""))
    wraps.insert(0, ("", ""))
    out: list[str] = []
    for opener, closer in itertools.cycle(wraps):
        order = pool[:]
        rng.shuffle(order)
        out += [f"{opener}{q.rstrip('？?')}{closer}" if closer else f"{opener}{q}" for q in order]
        if len(out) >= n:
            return out[:n]
    return out  # unreachable: cycle never ends
