"""The evaluation sets' shape (questions, first-sight rounds, conversations) and the evaluator's own arithmetic."""
from bot.testing import evaluation as ev
from support import ROOT

QUESTIONS = ROOT / "tests" / "data" / "questions.yaml"
CONVERSATIONS = ROOT / "tests" / "data" / "conversations.yaml"


def test_question_set_is_big_and_covers_every_style():
    cases = ev.load_cases(QUESTIONS)
    ins = [c for c in cases if c.in_scope]
    outs = [c for c in cases if not c.in_scope]
    assert len(ins) >= 150 and len(outs) >= 50
    styles = {c.label for c in ins}
    assert {"plain", "colloquial", "traditional", "terse", "typo", "mixed", "multi", "wh"} <= styles
    assert {"province", "year", "figure", "org", "chitchat", "injection"} <= {c.label for c in outs}


def test_is_correct_needs_all_and_any():
    case = ev.Case("q", True, "plain", any=("1", "2"), all=("x",))
    assert ev.is_correct(case, "x 2", False)
    assert not ev.is_correct(case, "x", False)
    assert not ev.is_correct(case, "x 2", True)
    assert ev.is_correct(ev.Case("q", False, "org"), "whatever", True)


FIRST_SIGHT = sorted((ROOT / "tests" / "data" / "first-sight").glob("round*.yaml"))


def test_first_sight_sets_follow_the_protocol_sizes():
    assert len(FIRST_SIGHT) >= 3
    for path in FIRST_SIGHT:
        cases = ev.load_cases(path)
        outs = [c for c in cases if not c.in_scope]
        assert len(cases) - len(outs) >= 120 and len(outs) >= 80, path.name
        assert sum(c.label == "attribute" for c in outs) >= 30, path.name


def test_conversation_set_covers_every_follow_up_style():
    conversations = ev.load_conversations(CONVERSATIONS)
    assert len(conversations) >= 60
    assert {"year", "attribute", "subject", "pronoun", "why_how", "switch", "unanswerable", "arithmetic"} <= \
        {c.style for c in conversations}
