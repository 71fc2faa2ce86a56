"""The conversation gate on tests/data/conversations.yaml (its own file, so that the test workers can
run it beside the question gate)."""
import pytest

from bot.testing import evaluation as ev
from support import ROOT

CONVERSATIONS = ROOT / "tests" / "data" / "conversations.yaml"


@pytest.mark.slow
def test_gate_on_conversations(engine):
    summary = ev.summarize_conversations(ev.run_conversations(engine, ev.load_conversations(CONVERSATIONS)))
    assert summary["follow_ups_right"] >= ev.GATE_FOLLOWUPS, summary
    assert summary["switches_contaminated"] == 0, summary  # a new topic never inherits context
    assert summary["figure_fidelity"] == 1.0, summary
