"""`python -m bot explain`: how one question is read, retrieved, verified and decided."""
from __future__ import annotations

from bot.adapters.render import text as reply_text
from bot.pipeline.decide import classify


def explain(engine, question: str) -> dict:
    """Everything behind one reply, as one JSON-ready object."""
    text = engine.prepare(question)
    answer = engine.answer(question)
    report = {"question": question, "prepared": text, "kind": answer.kind, "reason": answer.reason,
              "threshold": engine.settings.min_verified, "cited": [f.id for f in answer.facts],
              "reply": reply_text(answer.reply), "parts": []}
    if classify(text):
        return report
    examined = engine.examine_all(text)
    report["out_of_scope"] = examined.out_of_scope
    for part in (examined.whole, *examined.parts):
        reading = engine.verifier.read(part.text, engine.vector(part.text))
        p = {v.fact_id: v.p for v in part.verdicts}
        report["parts"].append({
            "text": part.text,
            "asks": sorted(reading.asks),
            "unknown_words": reading.unknown, "unknown_names": reading.unknown_names,
            "candidates": [{
                "id": h.fact_id, "dense": round(h.dense, 4), "bm25": round(h.lexical, 4),
                "fused": round(h.confidence, 4), "verified": p.get(h.fact_id),
                "statement": engine.base.by_id(h.fact_id).text,
                "uncovered": engine.verifier.uncovered(reading, h.fact_id),
                "features": engine.verifier.explain(reading, h.fact_id),
            } for h in part.hits],
        })
    return report


def render(report: dict) -> str:
    """The report as text for a terminal."""
    lines = [f"question:  {report['question']}", f"prepared:  {report['prepared']}",
             f"decision:  {report['kind']} ({report['reason']}), threshold {report['threshold']}",
             f"cited:     {', '.join(report['cited']) or '-'}"]
    if report.get("out_of_scope"):
        lines.append(f"out of scope: {report['out_of_scope']}")
    for n, part in enumerate(report["parts"]):
        lines += ["", f"{'whole question' if n == 0 else 'part'}: {part['text']}",
                  f"  asks {', '.join(part['asks']) or '-'}; words unknown to the article: "
                  f"{', '.join(part['unknown_words']) or '-'}; unknown names: {', '.join(part['unknown_names']) or '-'}",
                  "  verified  dense   bm25   fused  fact"]
        for c in part["candidates"]:
            v = "   -  " if c["verified"] is None else f"{c['verified']:.3f} "
            lines.append(f"  {v}   {c['dense']:.3f}  {c['bm25']:.3f}  {c['fused']:.3f}  {c['id']}: {c['statement'][:48]}")
            if c["uncovered"]:
                lines.append(f"{'':34}words the fact does not use: {', '.join(c['uncovered'])}")
    lines += ["", "reply:", report["reply"]]
    return "\n".join(lines)
