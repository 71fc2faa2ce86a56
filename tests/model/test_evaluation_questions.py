"""The evaluation gate on tests/data/questions.yaml (its own file, so that the test workers can run it
beside the conversation gate)."""
import pytest

from bot.testing import evaluation as ev
from support import ROOT

QUESTIONS = ROOT / "tests" / "data" / "questions.yaml"


@pytest.mark.slow
def test_gate_in_scope_and_abstention_at_least_97_percent(engine):
    summary = ev.summarize(ev.run(engine, ev.load_cases(QUESTIONS)), engine.settings)
    acc = summary["accuracy"]
    assert acc["in_scope"] >= ev.GATE_IN_SCOPE, acc
    assert acc["out_of_scope_abstention"] >= ev.GATE_ABSTAIN, acc
