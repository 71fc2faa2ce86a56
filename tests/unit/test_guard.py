"""The number guard: a reply may state only numbers found in its cited quotes."""
import logging

import pytest

from bot.adapters.render import text as plain
from bot.pipeline.compose import Citation, Reply, UnsupportedNumber, check_numbers, compose
from bot.pipeline.decide import ANSWER, Decision
from bot.knowledge.facts import Fact
from bot.knowledge.load import load_facts
from bot.pipeline.retrieve import Hit
from support import FACTS

QUOTE = "截至7月底,全省基层工会数达61428个,会员数达7706467名。"


@pytest.fixture(scope="module")
def base():
    return load_facts(FACTS)


def reply(lead):
    return Reply(ANSWER, (lead,), (Citation("x", "（四）各项重点稳步推进", QUOTE),))


def test_supported_numbers_pass(base):
    check_numbers(reply("截至2013年7月底，全省基层工会数达61428个，会员数达7706467名。"), base)


@pytest.mark.parametrize("lead", ["全省基层工会数达61429个。", "会员数达7706467名，增长了15%。",
                                  "共有3.5万个工会。"])
def test_invented_number_is_rejected(base, lead):
    with pytest.raises(UnsupportedNumber):
        check_numbers(reply(lead), base)


def test_compose_replaces_a_bad_answer_with_an_abstention(base, caplog):
    fact = base.facts[0]
    bad = Fact(fact.id, fact.text + "另有99999个。", fact.quote, fact.section, fact.figures, fact.questions)
    patched = type(base)(tuple([bad, *base.facts[1:]]), base.meta, base.article, base.digest)
    decision = Decision(ANSWER, (Hit(fact.id, 0.9, 0.9, 0.9, 0.9),))
    with caplog.at_level(logging.ERROR):
        out = compose(decision, patched)
    assert out.abstained and "99999" not in plain(out)
    assert "number guard rejected" in caplog.text


def test_every_fact_passes_the_guard_as_a_reply(base):
    for fact in base.facts:
        out = compose(Decision(ANSWER, (Hit(fact.id, 1, 1, 1, 1),)), base)
        assert not out.abstained, fact.id
        assert plain(out).startswith(fact.text)
        assert fact.quote[0].strip()[:10] in plain(out)
