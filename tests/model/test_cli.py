"""The CLI contract, run as a user runs it: a subprocess configured by environment variables."""
import json

import pytest

from bot.adapters.render import text as plain
from support import run_cli

pytestmark = pytest.mark.slow


def test_ask_json_reads_lines_and_keeps_the_contract(engine, real_settings):
    out = run_cli(["ask", "--json"], "山西工会会员有多少\n\n广东省有多少工会会员\n", real_settings=real_settings)
    assert out.returncode == 0, out.stderr
    rows = [json.loads(line) for line in out.stdout.splitlines()]
    assert len(rows) == 3
    for row in rows:
        assert set(row) >= {"question", "answer", "abstained", "facts", "latency_ms"}
        assert isinstance(row["abstained"], bool) and isinstance(row["latency_ms"], float)
    assert rows[0]["facts"][0]["id"] == "member-count-2013-07" and not rows[0]["abstained"]
    assert rows[0]["answer"] == plain(engine.answer("山西工会会员有多少").reply)
    assert rows[1]["question"] == "" and rows[1]["abstained"] and rows[1]["answer"]
    assert rows[2]["abstained"] and rows[2]["facts"] == []


def test_ask_prints_the_reply(engine, real_settings):
    out = run_cli(["ask", "2012年煤矿百万吨死亡率是多少"], real_settings=real_settings)
    assert out.returncode == 0 and out.stdout.startswith(engine.base.by_id("coal-death-rate-2012").text)


def test_console_chat_without_token(real_settings):
    out = run_cli([], "你好\n会员总数\n/quit\n", real_settings=real_settings)
    assert out.returncode == 0, out.stderr
    assert "问答" in out.stdout and "7706467" in out.stdout


def test_stale_index_is_a_clear_error(tmp_path):
    out = run_cli(["ask", "会员总数"], env_extra={"QA_INDEX_DIR": str(tmp_path / "none")})
    assert out.returncode != 0
    assert "make index" in out.stderr and "Traceback" not in out.stderr


def test_console_keeps_one_conversation_until_new(real_settings):
    out = run_cli([], "2010年组建月新增了多少工会组织？\n那2011年呢\n/new\n那2011年呢\n/foo\n", real_settings=real_settings)
    assert out.returncode == 0, out.stderr
    replies = out.stdout.split("\n\n")
    followup = next(r for r in replies if "9303" in r)
    assert followup.startswith("（理解为：2011年组建月新增了多少工会组织？）")
    assert "你还可以问：" in out.stdout  # related questions under an answer
    after_new = out.stdout.split("换个话题")[1]
    assert "理解为" not in after_new and "没有 /foo 这个命令" in after_new
