"""Settings from the environment: validated, one clear message per mistake, secrets hidden."""
import pytest

from bot.errors import ConfigError
from bot.settings import Settings


def test_defaults_and_overrides():
    s = Settings.from_env({"QA_MIN_SCORE": "0.5", "TELEGRAM_ADMIN_IDS": "1, 2;3", "QA_TOP_K": "4"})
    assert s.min_score == 0.5 and s.telegram_admin_ids == (1, 2, 3) and s.top_k == 4


@pytest.mark.parametrize("env, message", [
    ({"QA_MIN_SCORE": "high"}, "QA_MIN_SCORE must be a number"),
    ({"QA_MIN_SCORE": "2"}, "QA_MIN_SCORE must be between"),
    ({"QA_TOP_K": "2.5"}, "QA_TOP_K must be a whole number"),
    ({"QA_FUSION": "sum"}, "QA_FUSION must be one of"),
    ({"QA_INDEX_DIR": "idx\x00evil"}, "QA_INDEX_DIR contains a NUL byte"),
    ({"TELEGRAM_ADMIN_IDS": "alice"}, "TELEGRAM_ADMIN_IDS must be a comma-separated list"),
    ({"TELEGRAM_WEBHOOK_URL": "http://plain.example/hook"}, "TELEGRAM_WEBHOOK_URL must start with https://"),
    ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL must start with"),
])
def test_bad_values_are_one_clear_error(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_secrets_stay_out_of_repr_and_reports():
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:SECRETSECRET", "TELEGRAM_WEBHOOK_SECRET": "hushhush"})
    assert "SECRETSECRET" not in repr(s) and "hushhush" not in repr(s)
    assert "SECRETSECRET" not in str(s.public()) and "hushhush" not in str(s.public())
