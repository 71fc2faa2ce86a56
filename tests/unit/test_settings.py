"""Settings from the environment: validated, one clear message per mistake, secrets hidden."""
import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.errors import ConfigError
from bot.settings import ENV_NAMES, PROJECT_ROOT, Settings

README = PROJECT_ROOT / "README.md"
ROW = re.compile(r"\| `([A-Z_]+)` \| (.*?) \| (.*) \|")


def test_defaults_and_overrides():
    s = Settings.from_env({"QA_MIN_VERIFIED": "0.5", "TELEGRAM_ADMIN_IDS": "1, 2;3", "QA_TOP_K": "4"})
    assert s.min_verified == 0.5 and s.telegram_admin_ids == (1, 2, 3) and s.top_k == 4


@pytest.mark.parametrize("env, message", [
    ({"QA_MIN_VERIFIED": "high"}, "QA_MIN_VERIFIED must be a number"),
    ({"QA_MIN_VERIFIED": "2"}, "QA_MIN_VERIFIED must be between"),
    ({"QA_TOP_K": "2.5"}, "QA_TOP_K must be a whole number"),
    ({"QA_FUSION": "sum"}, "QA_FUSION must be one of"),
    ({"QA_INDEX_DIR": "idx\x00evil"}, "QA_INDEX_DIR contains a NUL byte"),
    ({"TELEGRAM_ADMIN_IDS": "alice"}, "TELEGRAM_ADMIN_IDS must be a comma-separated list"),
    ({"TELEGRAM_WEBHOOK_URL": "http://plain.example/hook"}, "TELEGRAM_WEBHOOK_URL must start with https://"),
    ({"TELEGRAM_API_BASE_URL": "ftp://x"}, "TELEGRAM_API_BASE_URL must start with"),
    # The token travels in the URL path: plain http only to this machine.
    ({"TELEGRAM_API_BASE_URL": "http://api.example.org/bot"}, "http:// only for localhost"),
    ({"TELEGRAM_API_BASE_URL": "http://10.0.0.5:8081/bot"}, "http:// only for localhost"),
    ({"TELEGRAM_API_BASE_URL": "http://localhost.evil.example/bot"}, "http:// only for localhost"),
    ({"TELEGRAM_WEBHOOK_SECRET": "has spaces"}, "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters"),
    ({"TELEGRAM_WEBHOOK_SECRET": "x" * 257}, "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters"),
    ({"TELEGRAM_WEBHOOK_SECRET": "pass/word"}, "TELEGRAM_WEBHOOK_SECRET must be 1-256 characters"),
    ({"TELEGRAM_LISTEN": "0.0.0.0:8443"}, "TELEGRAM_LISTEN must be an IP address or a host name"),
    ({"TELEGRAM_LISTEN": "my host"}, "TELEGRAM_LISTEN must be an IP address or a host name"),
    ({"TELEGRAM_LISTEN": "http://127.0.0.1"}, "TELEGRAM_LISTEN must be an IP address or a host name"),
    ({"TELEGRAM_WIRE_LOG": "maybe"}, "TELEGRAM_WIRE_LOG must be"),
    ({"TELEGRAM_READ_TIMEOUT": "0"}, "TELEGRAM_READ_TIMEOUT must be between"),
    ({"QA_DATA_DAILY_CAP": "0"}, "QA_DATA_DAILY_CAP must be between"),
    ({"QA_LOG_LEVEL": "loud"}, "QA_LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, CRITICAL"),
])
def test_bad_values_are_one_clear_error(env, message):
    with pytest.raises(ConfigError, match=message):
        Settings.from_env(env)


def test_secrets_stay_out_of_repr_and_reports():
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:SECRETSECRET", "TELEGRAM_WEBHOOK_SECRET": "hushhush"})
    assert "SECRETSECRET" not in repr(s) and "hushhush" not in repr(s)
    assert "SECRETSECRET" not in str(s.public()) and "hushhush" not in str(s.public())


@pytest.mark.parametrize("env, name, value", [
    ({"TELEGRAM_API_BASE_URL": "http://127.0.0.1:8081/bot"}, "telegram_api_base_url", "http://127.0.0.1:8081/bot"),
    ({"TELEGRAM_API_BASE_URL": "http://localhost:8081/bot"}, "telegram_api_base_url", "http://localhost:8081/bot"),
    ({"TELEGRAM_API_BASE_URL": "http://[::1]:8081/bot"}, "telegram_api_base_url", "http://[::1]:8081/bot"),
    ({"TELEGRAM_API_BASE_URL": "https://api.example.org/bot"}, "telegram_api_base_url", "https://api.example.org/bot"),
    ({"TELEGRAM_WEBHOOK_SECRET": "A-z_09" * 40}, "telegram_webhook_secret", SecretStr("A-z_09" * 40)),
    ({"TELEGRAM_LISTEN": "0.0.0.0"}, "telegram_listen", "0.0.0.0"),
    ({"TELEGRAM_LISTEN": "::"}, "telegram_listen", "::"),
    ({"TELEGRAM_LISTEN": "bot-1.internal"}, "telegram_listen", "bot-1.internal"),
    ({"TELEGRAM_WIRE_LOG": "on"}, "telegram_wire_log", True),
    ({"QA_SALT_FILE": "/run/secrets/qa-salt"}, "salt_file", Path("/run/secrets/qa-salt")),
    ({"QA_LOG_LEVEL": " debug "}, "log_level", "DEBUG"),
    ({"QA_INDEX_DIR": "elsewhere/index"}, "index_dir", PROJECT_ROOT / "elsewhere" / "index"),
    ({"QA_TOP_K": "  "}, "top_k", 6),  # blank is unset
])
def test_good_values_are_accepted(env, name, value):
    assert getattr(Settings.from_env(env), name) == value


def test_a_bad_secret_is_not_echoed():
    with pytest.raises(ConfigError) as err:
        Settings.from_env({"TELEGRAM_WEBHOOK_SECRET": "hunter2 hunter2"})
    assert "hunter2" not in str(err.value)


def test_replace_validates_like_the_environment():
    s = Settings.from_env({})
    assert s.replace(top_k=4, telegram_token="123:SECRETSECRET").telegram_token == SecretStr("123:SECRETSECRET")
    with pytest.raises(ConfigError, match="QA_TOP_K must be between 1 and 50, got 0"):
        s.replace(top_k=0)
    with pytest.raises(ConfigError, match="unknown settings: top_n"):
        Settings.from_env({}, top_n=4)


def test_dotenv_is_read_under_the_environment(tmp_path, monkeypatch):
    """`.env` fills what the environment does not set; a variable set in the environment wins,
    even set to "" (the default). A given env mapping is the whole environment."""
    dotenv = tmp_path / ".env"
    dotenv.write_text("# deployment\nQA_TOP_K=9\nQA_RRF_K=33\nQA_CACHE_SIZE=5\nTELEGRAM_BOT_TOKEN='123:SECRETSECRET'\n"
                      "HF_HUB_OFFLINE=1\n", encoding="utf-8")
    monkeypatch.setitem(Settings.model_config, "env_file", dotenv)
    for name in ENV_NAMES.values():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("QA_TOP_K", "7")
    monkeypatch.setenv("QA_CACHE_SIZE", "")
    s = Settings.from_env()
    assert (s.top_k, s.rrf_k, s.cache_size) == (7, 33, 1024)
    assert s.telegram_token.get_secret_value() == "123:SECRETSECRET"
    assert Settings.from_env({}).rrf_k == 60
    dotenv.write_text("QA_RRF_K=0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="QA_RRF_K must be between 1 and 1000, got 0"):
        Settings.from_env()


def test_secrets_stay_out_of_errors_and_the_child_environment():
    with pytest.raises(ConfigError) as err:
        Settings.from_env({}, telegram_webhook_secret="SECRETSECRET!")
    assert "SECRETSECRET" not in str(err.value)
    s = Settings.from_env({"TELEGRAM_BOT_TOKEN": "123:SECRETSECRET", "TELEGRAM_WEBHOOK_SECRET": "hushhush"})
    assert "SECRETSECRET" not in str(s.to_env()) and "hushhush" not in str(s.to_env())
    assert s.to_env()["TELEGRAM_BOT_TOKEN"] == s.to_env()["TELEGRAM_WEBHOOK_SECRET"] == ""  # wins over .env
    assert s.to_env(secrets=True)["TELEGRAM_BOT_TOKEN"] == "123:SECRETSECRET"


def readme_table() -> list[tuple[str, str, str]]:
    """README's configuration table: (variable, default, meaning) per row."""
    section = README.read_text(encoding="utf-8").split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    return [m.groups() for line in section.splitlines() if (m := ROW.fullmatch(line))]


def shown(default) -> str:
    """A default as the README's table writes it."""
    if isinstance(default, SecretStr):
        default = default.get_secret_value()
    if default is None or default == "":
        return "unset"
    if default == ():
        return "empty"
    if isinstance(default, bool):
        text = "1" if default else "0"
    elif isinstance(default, float):
        text = f"{default:g}"
    else:
        text = str(default).removeprefix(f"{PROJECT_ROOT}/")
    return f"`{text}`"


def test_readme_configuration_table_is_the_settings_model():
    """One row per field, in the model's order: its variable, its default, its description."""
    expected = [(ENV_NAMES[name], shown(field.default), field.description)
                for name, field in Settings.model_fields.items()]
    assert readme_table() == expected
