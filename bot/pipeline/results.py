"""What the engine hands out and passes between its steps: Answer, Examined, and the stage Clock."""
from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields

from bot.pipeline.compose import Reply
from bot.pipeline.decide import Kind, Part

STAGES = ("normalize", "encode", "retrieve", "verify", "decide", "compose")


@dataclass(frozen=True)
class FactRef:
    id: str
    score: float  # the verifier's probability that the fact states what is asked


@dataclass(frozen=True)
class Answer:
    """The result of one question: the reply (each adapter renders it) and how it came about."""

    question: str
    reply: Reply
    abstained: bool
    facts: tuple[FactRef, ...]
    latency_ms: float
    kind: Kind = Kind.ANSWER
    reason: str = ""
    timings_ms: dict = field(default_factory=dict)
    chat: str | None = None                     # the conversation it was asked in, if any
    understood_as: str = ""                     # how a follow-up was read, when it was rewritten
    suggestions: tuple[str, ...] = ()           # questions to ask instead (abstention) or next (answer)

    def to_json(self) -> dict:
        """Everything but the reply itself, JSON-ready (`ask --json` adds the reply as text)."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "reply"}
        d["facts"] = [asdict(f) for f in self.facts]
        d["suggestions"] = list(self.suggestions)
        if self.chat is None:
            del d["chat"]
        if not self.understood_as:
            del d["understood_as"]
        return d


@dataclass(frozen=True)
class Examined:
    """A question after retrieval and verification, before the decision."""

    whole: Part
    parts: tuple[Part, ...]
    reading: object          # the verifier's QuestionView of the whole question
    out_of_scope: str        # 'place:…' / 'year:…' when the article never speaks of it


class Clock:
    """Milliseconds per stage; a stage timed twice (one per part) adds up."""

    def __init__(self):
        self.ms: dict[str, float] = {}
        self._t = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.ms[stage] = self.ms.get(stage, 0.0) + (now - self._t) * 1000
        self._t = now
