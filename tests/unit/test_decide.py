"""The decision step with made-up retrieval hits and verdicts: which facts are cited, and why not."""
import dataclasses

from bot.pipeline.decide import ABSTAIN, ANSWER, Part, decide
from bot.pipeline.verify import Verdict
from bot.pipeline.retrieve import Hit
from bot.settings import Settings

SETTINGS = Settings.from_env({}, min_verified=0.5)


def part(text, *scores):
    """A part whose candidates f1, f2, … got these verifier scores."""
    hits = tuple(Hit(f"f{i}", 0.9, 0.9, 0.9, 0.5) for i in range(1, len(scores) + 1))
    return Part(text, hits, tuple(Verdict(h.fact_id, p) for h, p in zip(hits, scores)))


def test_the_best_accepted_fact_is_cited_alone():
    d = decide(part("q", 0.6, 0.9, 0.55), [], SETTINGS)
    assert d.kind == ANSWER and [h.fact_id for h in d.hits] == ["f2"] and d.verdicts[0].p == 0.9


def test_nothing_accepted_abstains_and_names_the_best_candidate():
    d = decide(part("q", 0.2, 0.49), [], SETTINGS)
    assert d.kind == ABSTAIN and d.abstained and d.hits == ()
    assert d.reason == "unverified:0.49:f2"


def test_the_threshold_is_the_setting():
    assert decide(part("q", 0.45), [], SETTINGS).abstained
    lower = SETTINGS.replace(min_verified=0.4)
    assert not decide(part("q", 0.45), [], lower).abstained


def test_out_of_scope_abstains_before_looking_at_verdicts():
    d = decide(part("q", 0.99), [], SETTINGS, out_of_scope="place:广东")
    assert d.abstained and d.reason == "place:广东"


def test_no_candidates_abstain():
    assert decide(Part("q", (), ()), [], SETTINGS).reason == "no-candidates"


def test_each_part_adds_its_best_fact_not_cited_yet():
    whole = part("两件事", 0.3, 0.2)
    first = Part("第一件", (Hit("a", 1, 1, 1, 1),), (Verdict("a", 0.8),))
    second = Part("第二件", (Hit("b", 1, 1, 1, 1), Hit("a", 1, 1, 1, 1)), (Verdict("b", 0.7), Verdict("a", 0.9)))
    d = decide(whole, [first, second], SETTINGS)
    # the second part's best is a, already cited: it adds its best accepted fact not cited yet
    assert [h.fact_id for h in d.hits] == ["a", "b"]
    again = Part("第二件", (Hit("a", 1, 1, 1, 1), Hit("b", 1, 1, 1, 1)), (Verdict("a", 0.9), Verdict("b", 0.1)))
    # ... and nothing when every other candidate is below the threshold
    assert [h.fact_id for h in decide(whole, [first, again], SETTINGS).hits] == ["a"]
    twice = decide(whole, [first, second, second], SETTINGS)
    assert [h.fact_id for h in twice.hits] == ["a", "b"]  # a fact is cited once


def test_a_part_below_the_threshold_is_left_out():
    whole = part("两件事", 0.8)
    weak = Part("第二件", (Hit("b", 1, 1, 1, 1),), (Verdict("b", 0.1),))
    assert [h.fact_id for h in decide(whole, [weak], SETTINGS).hits] == ["f1"]


def test_a_fact_stating_what_is_asked_comes_first_among_the_accepted_only():
    asked = dataclasses.replace(part("效果怎么样", 0.9, 0.6, 0.3), first=frozenset({"f2", "f3"}))
    d = decide(asked, [], SETTINGS)
    assert [h.fact_id for h in d.hits] == ["f2"] and d.verdicts[0].p == 0.6  # its own probability
    refused = dataclasses.replace(part("效果怎么样", 0.9, 0.3), first=frozenset({"f2"}))
    assert [h.fact_id for h in decide(refused, [], SETTINGS).hits] == ["f1"]  # f2 stays refused
