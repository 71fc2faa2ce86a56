"""A reply as the lines a reader sees: the one layout every adapter shows, and its plain text (console, CLI)."""
from __future__ import annotations

from dataclasses import dataclass

from bot.pipeline.compose import Reply
from bot.pipeline.decide import Kind


@dataclass(frozen=True)
class Line:
    """One line of a reply as shown: its text, and how it stands out where the adapter can show it
    (bold: an answer's figures; italic: who asked a pressed suggestion)."""

    text: str
    bold: bool = False
    italic: bool = False


def lines_of(text: str, bold: bool = False, italic: bool = False) -> list[Line]:
    """`text` as lines, one for each of its own line breaks."""
    return [Line(part, bold, italic) for part in text.split("\n")]


def lines(reply: Reply, buttons: bool = False) -> list[Line]:
    """The lines of `reply`, in order: how a follow-up was read, the lead (an answer's first line
    in bold), the quotes under "📖 原文", and an abstention's suggestions. With `buttons` the
    adapter shows the suggestions as buttons, and the text points to them instead of listing them."""
    out = lines_of(f"（理解为：{reply.understood}？）") if reply.understood else []
    out += lines_of(reply.lead[0], bold=reply.kind == Kind.ANSWER)
    for text in reply.lead[1:]:
        out += lines_of(text)
    if reply.citations:
        out += [Line(""), Line("📖 原文")]
        for c in reply.citations:
            out += lines_of(f"「{c.section}」") + lines_of(f"“{c.quote}”")
    if reply.suggestions and reply.kind != Kind.ANSWER:  # an answer's related questions are the adapter's to show
        if buttons:
            out += [Line(""), Line("你可以点下面的问题接着问。")]
        else:
            out += [Line(""), Line("你可以这样问：")]
            out += [line for question in reply.suggestions for line in lines_of(f"· {question}")]
    return out


def text(reply: Reply) -> str:
    """The reply as plain text: what the console, `ask` and the evaluation show."""
    return "\n".join(line.text for line in lines(reply))

