"""The article's replies through the real engine read as they did before the adapters rendered them."""
import pytest

from bot.testing.evaluation import load_cases, load_conversations
from render_reference import assert_as_before
from support import ROOT

pytestmark = pytest.mark.slow


def test_the_articles_answers_read_as_before(engine):
    """Every question of the tuning set, and the first conversations turn by turn, through the real engine."""
    for case in load_cases(ROOT / "tests" / "data" / "questions.yaml"):
        assert_as_before(engine.answer(case.q).reply)
    for n, conversation in enumerate(load_conversations(ROOT / "tests" / "data" / "conversations.yaml")[:30]):
        engine.conversations.clear(f"render-{n}")
        for turn in conversation.turns:
            assert_as_before(engine.answer(turn.q, chat=f"render-{n}").reply)
