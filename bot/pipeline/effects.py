"""Effect readings: a bare effect follow-up (效果咋样) read as the effect question of another fact
of the same section and subject, which the engine verifies like any other reading."""
from __future__ import annotations

import re

from bot.pipeline.context import core
from bot.pipeline.rewrite import HOME
from bot.pipeline.text import YEAR

# Asking how something turned out (效果咋样, 成效呢, 搞得怎么样了, 有什么好处).
_ASKS_EFFECT = re.compile(r"效果|成效|成果|好处|变化|反响|搞得(怎么样|咋样|如何)|怎么样了|咋样了|"
                          r"^(那|后来|最后|最终)?结果(呢|怎么样|如何|咋样|怎样)")  # not 评议结果怎么判定
# How a fact is asked when it states an effect (not 处理结果 or 创新成果: results by name).
_EFFECT_ASKED = re.compile(r"效果|成效|好处|变化|起.{0,2}作用")
EFFECT_READINGS = 2


def effect_readings(text: str, fact_id: str, facts, names: tuple[str, ...] = ()) -> list[tuple[str, str]]:
    """How a bare effect follow-up (效果咋样 after 为啥要勤俭办会) may be read: as the question of
    another fact of the same section and subject that people ask about effects (勤俭办会有啥效果),
    the nearest first, when such a fact is asked about effects more often than the previous
    answer's own fact. The reading is verified like any other and shown to the user."""
    asked = core(text)
    if not _ASKS_EFFECT.search(asked) or len(asked) > 10 or re.search(r"几|多少", asked) or YEAR.search(asked):
        return []  # not 其中有几场结果是不满意的, 2009年全年结果怎么样: those ask something of their own
    facts = list(facts)
    at = next((i for i, f in enumerate(facts) if f.id == fact_id), None)
    if at is None:
        return []
    section = facts[at].section

    def asked_about_effects(fact) -> list[str]:
        return [q for q in fact.asked if _EFFECT_ASKED.search(q)]

    own = len(asked_about_effects(facts[at]))
    # The same subject: another fact names every one of the previous fact's names (长钢's
    # effect is not 太原公交's, though one section tells of both).
    # The article's own actors (省总, named in more than a tenth of the facts) are no subject.
    subject = [n for n in names if n in facts[at].text and n not in HOME
               and sum(n in f.text for f in facts) <= max(2, len(facts) / 10)]
    near = sorted((abs(i - at) + (0.5 if i < at else 0), f) for i, f in enumerate(facts)
                  if f.section == section and i != at and len(asked_about_effects(f)) > max(own, 1)
                  and all(n in f.text for n in subject))
    return [(re.sub(r"[？?。！!\s]+$", "", asked_about_effects(f)[0]), "effect") for _, f in near[:EFFECT_READINGS]]
