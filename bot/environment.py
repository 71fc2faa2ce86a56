"""How settings meet the environment: a given mapping read as one, and a bad value told in one line."""
from __future__ import annotations

from collections.abc import Mapping
from typing import get_args

from pydantic import SecretStr
from pydantic_settings import BaseSettings, EnvSettingsSource
from pydantic_settings.sources.utils import parse_env_vars


class Environment(EnvSettingsSource):
    """Environment variables from a given mapping instead of os.environ: a test's dict, or
    `to_env()` read back, parsed exactly as the process environment is."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]):
        self.environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        return parse_env_vars(self.environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)


def explain(error: dict, model: type[BaseSettings]) -> str:
    """One line naming the variable and what is wrong with its value (never a secret's value)."""
    fields = model.model_fields
    by_key = {key: name for name, field in fields.items() for key in (name, field.validation_alias)}
    name = by_key.get(error["loc"][0]) if error["loc"] else None
    if name is None:
        return error["msg"]
    field, value = fields[name], error["input"]
    variable = field.validation_alias
    kind = error["type"]
    if kind == "value_error":
        return f"{variable} {error['ctx']['error']}"
    if field.annotation is SecretStr:
        return f"{variable}: {error['msg']}"
    if kind in ("greater_than_equal", "less_than_equal"):
        lo, hi = (next(getattr(m, b) for m in field.metadata if hasattr(m, b)) for b in ("ge", "le"))
        return f"{variable} must be between {lo} and {hi}, got {value}"
    if kind in ("float_parsing", "float_type"):
        return f"{variable} must be a number, got {value!r}"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{variable} must be a whole number, got {value!r}"
    if kind == "literal_error":
        return f"{variable} must be one of {', '.join(get_args(field.annotation))}, got {value!r}"
    return f"{variable}: {error['msg']}, got {value!r}"
