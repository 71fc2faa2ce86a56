"""A small load test through the real bot process: 5 chats x 5 questions with a /reload."""
import importlib.util

import pytest

from support import ROOT

pytestmark = pytest.mark.slow


def test_small_load_loses_nothing(engine, real_settings, tmp_path):
    spec = importlib.util.spec_from_file_location("loadtest", ROOT / "scripts" / "loadtest.py")
    loadtest = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loadtest)
    result = loadtest.run(5, 5, reload=True, timeout=300,
                          env_extra={"QA_INDEX_DIR": str(real_settings.index_dir),
                                     "QA_DATA_DIR": str(tmp_path / "data")})
    assert result["answered"] == result["injected"] == 25 and result["lost"] == 0
    assert result["api_errors"] == 0 and result["reload_ok"] and result["exit_code"] == 0
    assert not result["token_in_logs"]
