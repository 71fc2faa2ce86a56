"""Fact validation and figure coverage: each error names the file, the fact id and the problem."""
import pytest
import yaml

from bot.errors import FactsError
from bot.knowledge.load import load_facts
from bot.knowledge.validate import missing_figures
from support import FACTS

GOOD = {
    "id": "union-count",
    "text": "截至2013年7月底，山西全省基层工会数达61428个。",
    "quote": "截至7月底,全省基层工会数达61428个",
    "section": "（四）各项重点稳步推进",
    "figures": ["61428个"],
    "questions": ["工会有多少个", "基层工会数", "山西工会多大"],
}


def write_only(facts_dir, items, name="99-test.yaml"):
    for p in facts_dir.glob("*.yaml"):
        if p.name != "meta.yaml":
            p.unlink()
    (facts_dir / name).write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")


def problems(facts_dir):
    with pytest.raises(FactsError) as exc:
        load_facts(facts_dir)
    return str(exc.value)


def test_project_facts_are_valid_and_many():
    base = load_facts(FACTS)
    assert 120 <= len(base.facts) <= 220
    assert len({f.id for f in base.facts}) == len(base.facts)


def test_every_article_figure_is_carried_by_a_fact():
    missing = missing_figures(load_facts(FACTS))
    assert missing == [], "figure tokens not carried by any fact:\n" + "\n".join(missing)


def test_every_section_has_facts():
    base = load_facts(FACTS)
    assert {f.section for f in base.facts} == set(base.meta.sections)


def test_a_good_fact_loads(facts_copy):
    write_only(facts_copy, [GOOD])
    assert load_facts(facts_copy).facts[0].figures == ("61428个",)


def test_quote_not_verbatim(facts_copy):
    write_only(facts_copy, [GOOD | {"quote": "全省基层工会数达61429个"}])
    msg = problems(facts_copy)
    assert "99-test.yaml: union-count: quote is not verbatim" in msg


def test_whitespace_and_page_breaks_do_not_matter(facts_copy):
    write_only(facts_copy, [GOOD | {"quote": "截至7月底,全省基层\n\n工会数达 61428个"}])
    assert load_facts(facts_copy).facts


def test_figure_not_in_quote(facts_copy):
    write_only(facts_copy, [GOOD | {"figures": ["61428个", "7706467名"]}])
    assert "union-count: figure '7706467名' is not in the quote" in problems(facts_copy)


def test_number_in_text_not_in_quote(facts_copy):
    write_only(facts_copy, [GOOD | {"text": "截至2013年7月底，山西全省基层工会数达61428个，会员7706467名。"}])
    assert "union-count: number 7706467 in text is not in the quote" in problems(facts_copy)


def test_duplicate_ids(facts_copy):
    write_only(facts_copy, [GOOD, GOOD])
    assert "union-count: duplicate id" in problems(facts_copy)


@pytest.mark.parametrize("field", ["text", "quote", "section", "questions", "id"])
def test_empty_fields(facts_copy, field):
    write_only(facts_copy, [GOOD | {field: ""}])
    assert f"empty field '{field}'" in problems(facts_copy)


def test_missing_field_and_unknown_section(facts_copy):
    bad = {k: v for k, v in GOOD.items() if k != "figures"} | {"section": "不存在的章节"}
    write_only(facts_copy, [bad, GOOD | {"id": "other"}])
    msg = problems(facts_copy)
    assert "union-count: missing field 'figures'" in msg


def test_unknown_section_named(facts_copy):
    write_only(facts_copy, [GOOD | {"section": "不存在的章节"}])
    assert "section '不存在的章节' is not listed" in problems(facts_copy)


def test_broken_yaml_names_the_file(facts_copy):
    write_only(facts_copy, [GOOD])
    (facts_copy / "98-broken.yaml").write_text("- id: [unclosed\n", encoding="utf-8")
    assert "98-broken.yaml: cannot parse YAML" in problems(facts_copy)


def test_coverage_reports_a_gap(facts_copy):
    write_only(facts_copy, [GOOD])
    missing = missing_figures(load_facts(facts_copy))
    assert any(m.startswith("7706467名") for m in missing)
    # 61428个 stands twice in the article; the quote carries only the occurrence in (四).
    assert [m for m in missing if m.startswith("61428个")] == [
        m for m in missing if m.startswith("61428个") and "共建立工会组织" in m]
    assert len([m for m in missing if m.startswith("61428个")]) == 1


def test_parsed_files_are_cached_as_json_and_an_edit_is_read_afresh(facts_copy, tmp_path):
    cache = tmp_path / "facts-cache"
    plain = load_facts(facts_copy)
    assert load_facts(facts_copy, cache_dir=cache).facts == plain.facts  # first load writes the cache
    assert any(cache.glob("*.json"))
    assert load_facts(facts_copy, cache_dir=cache).facts == plain.facts  # second load reads it
    path = sorted(facts_copy.glob("0*.yaml"))[0]
    items = yaml.safe_load(path.read_text(encoding="utf-8"))
    items[0]["questions"] = items[0]["questions"] + ["这条是新加的问法吗？"]
    path.write_text(yaml.safe_dump(items, allow_unicode=True), encoding="utf-8")
    edited = load_facts(facts_copy, cache_dir=cache)
    assert "这条是新加的问法吗？" in edited.by_id(items[0]["id"]).questions


def test_an_everyday_expression_in_the_glossary_must_not_be_the_articles_own_words(facts_copy):
    write_only(facts_copy, [GOOD])
    (facts_copy / "glossary.yaml").write_text("拉人入会: 工会\n基层工会: 工会\n", encoding="utf-8")
    found = problems(facts_copy)
    assert "基层工会: an everyday expression must not be the article's own words" in found
    assert "拉人入会" not in found
