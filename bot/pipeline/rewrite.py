"""Rewriting a follow-up: the pieces the conversation rules put whole questions together with
(the previous question's frame, subject, years and dates; the items of an arithmetic follow-up),
and the words they recognise (pronouns, asking words, relative years)."""
from __future__ import annotations

import re
from difflib import SequenceMatcher

from bot.knowledge.lexicon import cut, posseg
from bot.pipeline.arithmetic import COMPARE, DIFFERENCE, RATIO, TOTAL, operation
from bot.pipeline.parts import YEAR_RUN, items, topic
from bot.pipeline.scope import HOME
from bot.pipeline.text import YEAR

PRONOUN = re.compile(r"他们|她们|它们|他|她|它|这个|那个|这项|那项|这次|那次|这些|那些|这里|那里|这事|那事|这件事|"
                     r"这么做|这样做|这么搞|这办法|这个办法|该|此|其|这一|那一|这家|那家|这位|那位|这种|那种|这类|那类|"
                     r"这样的|那样的")
PERSON_PRONOUN = re.compile(r"他们|她们|他|她|这位|那位")
THING_PRONOUN = re.compile(r"它们|它|这个|那个|这项|那项|这些|那些|这事|那事|这件事|这种|那种|这类|那类|该|此|其")
ASK = re.compile(r"多少|几|什么|啥|哪|谁|吗|如何|怎么|怎样|咋|是否|有没有|when|what|how|who|where|which")
RELATIVE_YEARS = {"今年": 0, "去年": 1, "前年": 2, "明年": -1, "后年": -2}
# Years counted from the previous question's: 前一年, 再往前一年, 同年.
STEP_YEARS = (("再往前一年", -1), ("往前一年", -1), ("前一年", -1), ("上一年", -1), ("后一年", 1), ("下一年", 1),
              ("第二年", 1), ("次年", 1), ("同年", 0), ("当年", 0), ("那年", 0), ("那一年", 0))
STEPS = re.compile("|".join(w for w, _ in STEP_YEARS))
# A date as questions write it: 2012年1月5日, 今年3月25号, 4月份, 同年2月20日, 2009年.
DATE = re.compile(rf"(?:(?:19|20)\d\d年|今年|去年|{STEPS.pattern})?\d{{1,2}}月份?(?:\d{{1,2}}[日号])?|"
                  r"(?:19|20)\d\d年|今年|去年")
# What an arithmetic follow-up says besides its new item: the operation, the words that tie it
# to the previous question (比它, 跟, 加上), and a bare unit.
OPERATION = re.compile("|".join(rx.pattern for rx in (DIFFERENCE, RATIO, TOTAL, COMPARE)))
TIES = re.compile(r"^(再|还)?(比|跟|和|与|同|加上|加|算上|从|到|至)|^(再|还)|(比|跟|和|与|同)?(它|他们|它们|这个|那个|上一个|前面的?)|"
                  r"(相比|比起来|一共|总共|是|有|的|了|呢|个|人|项|多少|几)+$|total|\?")
# The words that ask for each operation, in the readings the rules build.
ASKING = {"difference": "相差多少", "total": "一共多少", "ratio": "是几倍", "compare": "哪个多"}


def pair_questions(first: str, second: str, asking: str) -> list[str]:
    """One question over the items of two questions that differ in one place: 2010年…多少 and
    2011年…多少 → 2010年和2011年…多少，哪年多; 全国劳模评了多少 and 五一劳动奖章评了多少 → 全国劳模和五一
    劳动奖章评了，一共多少."""
    years_1, years_2 = YEAR.findall(first), YEAR.findall(second)
    if years_1 and years_2 and years_1[0] != years_2[0]:
        return [f"{with_years(first, years_1[0], sorted({years_1[0], years_2[0]}, key=int))}，{asking}"]
    words_1, words_2 = cut(first), cut(second)
    changes = [op for op in SequenceMatcher(None, words_1, words_2, autojunk=False).get_opcodes() if op[0] != "equal"]
    if len(changes) != 1 or changes[0][0] != "replace":
        return []
    _, i1, i2, j1, j2 = changes[0]
    joined = "".join(words_1[:i1]) + "".join(words_1[i1:i2]) + "和" + "".join(words_2[j1:j2]) + "".join(words_1[i2:])
    bare = re.sub(r"(有|是)?(多少|几)[个项人名场次条家]?$", "", joined)
    if bare == joined:
        bare = re.sub(r"多少|几", "", joined, count=1)
    return [bare + asking]


def counterpart(question: str, item: str) -> str:
    """The span of `question` that a new item of the same kind replaces: the one its first two or
    three characters and its last one or two frame (五星级乡镇(街道)工会 for 五星级基层工会); '' if none."""
    start = next((k for k in (3, 2) if len(item) > k and item[:k] in question), 0)
    if not start:
        return ""
    begin = question.find(item[:start])
    end = next((k for k in (2, 1) if question.rfind(item[-k:]) >= begin + start), 0)
    return question[begin:question.rfind(item[-end:]) + end] if end else ""


def dated_like(date: str, prev_years: list[str]) -> str:
    """A follow-up's date with the previous question's year where it names none or a relative
    one: 2月20号 → 2012年2月20号, 同年2月20日 → 2012年2月20日."""
    for word, step in STEP_YEARS:
        if date.startswith(word) and prev_years:
            return f"{int(prev_years[0]) + step}年" + date[len(word):]
    if prev_years and not YEAR.search(date) and not date.startswith(("今年", "去年")) and "月" in date:
        return f"{prev_years[0]}年{date}"
    return date


def names_in(text: str, names: dict, kinds: tuple[str, ...] = ("places", "organizations")) -> list[str]:
    """The article's names of `kinds` that a text names, longest first, except the article's home."""
    return sorted((n for kind in kinds for n in names.get(kind, ()) if n in text and n not in HOME),
                  key=len, reverse=True)


def own_item(text: str) -> str:
    """What an arithmetic message names besides years, the operation and its ties (发明创造 in
    加上发明创造一共多少; '' in 2012年比2011年少了多少)."""
    item = TIES.sub("", re.sub(r"\d+年?|[一二三四五六七八九十两几]+年(来|间)?", "", OPERATION.sub("", text))).strip(" ，,")
    return TIES.sub("", item).strip(" ，,")


def arithmetic_readings(prev: str, rest: str, years: list[str], prev_years: list[str],
                        last_two: tuple[str, str] = ("", "")) -> list[str]:
    """Readings of an arithmetic follow-up over the previous question and the item it adds:
    2011年比它多了多少个 → 2010年和2011年…，相差多少; 跟五星级基层工会加起来呢 → 五星级乡镇工会和
    五星级基层工会一共多少; 多多少 after "A和B哪个多" → A和B相差多少. The engine computes it."""
    op = operation(rest)
    if op not in ASKING:  # an average names what it is per: nothing to take from the previous question
        return []
    asking = ASKING[op] if op != "compare" else COMPARE.search(rest).group(0)
    new_years = [y for y in dict.fromkeys(years) if y not in prev_years]
    if prev_years and new_years:
        span = re.search(r"((?:19|20)\d\d)年?\s*(?:到|至|-|~)\s*((?:19|20)\d\d)", rest)
        # The follow-up's own years when it names two or more (那12年和13年加起来呢), else the
        # previous question's first year with the new one (2011年比它多了多少).
        chosen = sorted(set(new_years if len(new_years) >= 2 else prev_years[:1] + new_years), key=int)
        if span and op == "total":  # 2010到2013四年加起来: every year of the span
            chosen = [str(y) for y in range(int(span.group(1)), int(span.group(2)) + 1)]
        return [f"{with_years(prev, prev_years[0], chosen)}，{asking}"]
    item = own_item(rest)
    if PRONOUN.search(item):  # 这些中心一共帮扶了多少: one quantity in total, not a second item
        return []
    if re.fullmatch(r"(这|那)?(两个?|两者|二者|俩|两样|两项|两种)", item):  # 两个加起来呢: the two just compared
        read = last_two[1]
        found = OPERATION.search(read) if read else None
        if not found or len(items(read)) < 2:
            return []
        return [re.sub(r"(?<=[\u4e00-\u9fff\d)）])(比|跟|同)(?=[\u4e00-\u9fff\d])", "和", read[:found.start()], count=1)
                + asking]  # 工人先锋号比奖状多多少 → 工人先锋号和奖状一共多少
    if not item:  # the previous question named the items: 社区和企业帮扶站哪个多 → …相差多少
        if len(items(prev)) < 2:  # or the two last questions did: 2010年…？ 2011年呢？ 哪年多？
            return pair_questions(*last_two, asking) if all(last_two) else []
        found = OPERATION.search(prev) or re.search(r"各|分别", prev)
        return [prev[:found.start()] + asking if found else f"{prev}，{asking}"]
    head = re.match(r"(\d+年来|近\d+年|近年来|今年|全省|山西省?|省总)*", prev).group(0)
    body = prev[len(head):]
    ask = re.search(r"有?(多少|几)", body)
    stem = body[:ask.start()] if ask else body
    # The previous item: the span of the stem that the new item's shared start and end frame
    # (五星级乡镇(街道)工会 for 五星级基层工会), else its first word (技术革新 for 发明创造).
    left = counterpart(stem, item)
    if not left:  # the stem without the verbs that end it: 技术革新完成了 → 技术革新
        words = [(w.word, w.flag) for w in posseg().cut(stem)]
        while len(words) > 1 and words[-1][1][0] in "vudpy":
            words.pop()
        left = "".join(w for w, _ in words)
    if not left or left == item:
        return []
    return [f"{head}{left}和{item}{asking}"]


def years_in(text: str, year: int, previous: list[str] = ()) -> list[str]:
    """The years a follow-up names: written out, relative to the article's year (去年), or
    relative to the previous question's (前一年, 同年)."""
    found = YEAR.findall(text)
    for word, back in RELATIVE_YEARS.items():
        if word in text:
            found.append(str(year - back))
    for word, step in STEP_YEARS:
        if word in text and previous:
            found.append(str(int(previous[0]) + step))
            break
    if not found:  # 11年 for 2011年; 12年和13年
        found = [f"20{y}" for y in re.findall(r"(?<!\d)(\d\d)(?=年|和|与|、|到|至)", text) if 6 <= int(y) <= year % 100]
    return found


def with_years(question: str, old: str, years: list[str]) -> str:
    """The question with its year `old` replaced by a list of years: 2010年… → 2010年、2011年和2012年…"""
    listed = "、".join(f"{y}年" for y in years[:-1]) + f"和{years[-1]}年"
    run = next((m for m in YEAR_RUN.finditer(question) if old in m.group(0)), None)
    if run:  # the previous question's own list of years goes as a whole: 2010年和2011年…
        return question[:run.start()] + listed + question[run.end():]
    return replace_years(question, [old], "#").replace("#年", listed).replace("#", listed)


def replace_years(question: str, old: list[str], new: str) -> str:
    out = question
    for y in dict.fromkeys(old):
        out = out.replace(y, new)
    return out


def asked_tail(question: str) -> str:
    """What the previous question asked for, to finish a bare follow-up (人数 → 人数是多少)."""
    if re.search(r"什么时候|何时|哪一?年|几月|几号", question):
        return "是什么时候"
    if re.search(r"多少|几", question):
        return "是多少"
    if re.search(r"哪里|在哪|哪儿", question):
        return "在哪里"
    if re.search(r"谁|哪位", question):
        return "是谁"
    return "是什么"


def subject_of(question: str, fact_text: str, names: dict, article: str,
               kinds: tuple[str, ...] = ("people", "organizations", "places")) -> str:
    """Who or what the previous question was about: the longest article name of `kinds` in it
    (or in the fact that answered it), else (for any kind) its longest start the article says."""
    for source in (question, fact_text):
        found = names_in(source, names, kinds)
        if found:
            return found[0]
    return "" if kinds == ("people",) else topic(question, article)


WHY_HOW = re.compile(r"(?<![定成作称])为什么|为啥|为何|怎么|如何|咋|效果|结果|成效|影响|作用|后来|反响")  # not 定为什么年
# The words a question asks with, and the particles after them (the gist keeps what it is about).
ASKING_WORDS = re.compile(r"为什么|为啥|为何|是怎么|是如何|怎么样|怎么|如何|咋样|咋|是什么时候|什么时候|何时|哪一?年|哪一?天|"
                          r"在哪里?|哪里|是多少|多少|几[个项次场名人年]?|是什么|什么|是啥|啥|是谁|谁|是否|有没有|吗|呢")


def gist_of(question: str) -> str:
    """The previous question without its asking words: 山西为啥要在煤矿建井口群众安全工作站 →
    山西要在煤矿建井口群众安全工作站 (what a why, how or effect follow-up goes on about)."""
    return re.sub(r"[的了是]+$", "", ASKING_WORDS.sub("", question)).strip(" ,，")


def swap_attribute(question: str, noun: str) -> str:
    """The question with the last noun before what it asks replaced by `noun` (a short noun
    phrase of the follow-up's own): 2013年组建月的重点是啥 + 主题 → 2013年组建月的主题是啥; '' if none."""
    if len(noun) > 6 or not re.fullmatch(r"[\u4e00-\u9fff]+", noun) or noun in question:
        return ""  # 那2012年的重点呢 after …以哪些行业为重点: it asks the same attribute
    head = frame_of(question)
    nouns, pos = [], 0
    for token in posseg().cut(head):
        if token.flag.startswith(("n", "vn")) and token.word not in HOME:
            nouns.append((pos, token.word))
        pos += len(token.word)
    if not nouns or nouns[-1][1] == noun:
        return ""
    start, word = nouns[-1]
    return question[:start] + noun + question[start + len(word):]


def frame_of(question: str) -> str:
    """The previous question up to what it asked: 长钢的民主评议会是什么时候第一次召开的 → 长钢的民主评议会."""
    starts = [m.start() for m in (ASK.search(question), ASKING_WORDS.search(question)) if m]
    head = question[:min(starts)] if starts else question
    return re.sub(r"(是|的|有|在|了|一共|总共|共|以|把|被|对|为|将|给|向|得)+$", "", head)  # not …帮扶以


def object_of(question: str, article: str) -> str:
    """What a question counted or asked about after its verb, when the article says it:
    山西有几个市建立了困难职工帮扶中心 → 困难职工帮扶中心; '' when there is none."""
    m = re.search(r"(?:(?:建立|成立|设立|组建|开展|举办)了?|了)([\u4e00-\u9fff]{3,12}?)[的吗呢？?。！!\s]*$", question)
    phrase = m.group(1) if m else ""
    return phrase if phrase in article and not ASK.search(phrase) else ""


def swap_lead(question: str, new: str) -> list[str]:
    """The previous question with its first word, or first two, replaced by `new`
    (县级帮扶中心有多少个 + 乡镇 → 乡镇帮扶中心有多少个), a year in front kept in place."""
    lead = re.match(r"((?:19|20)\d\d年)?", question).group(0)
    words = cut(question[len(lead):])
    return [lead + new + "".join(words[k:]) for k in (1, 2) if len(words) > k and new not in words[:k]]


def fact_topic(fact_text: str) -> str:
    """The opening phrase of the previous answer's fact (2010年“工会组建月”期间), when short."""
    head = re.split(r"[，,。；;]", fact_text, maxsplit=1)[0] if fact_text else ""
    return head if 2 <= len(head) <= 16 else ""


def strip_pronoun(text: str) -> str:
    """The follow-up without the pronoun that stood for the previous subject (这么做 stays: it
    is the verb)."""
    return PERSON_PRONOUN.sub("", THING_PRONOUN.sub("", text)).strip() or text


