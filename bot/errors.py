"""Domain errors: each carries one clear message, mapped to output at the adapter edge."""


class BotError(Exception):
    """Base class of every error the adapters turn into a message and an exit code."""

    exit_code = 1


class ConfigError(BotError):
    """A setting from the environment is invalid."""

    exit_code = 2


class FactsError(BotError):
    """The curated facts are invalid; the message lists every problem."""


class ModelError(BotError):
    """The embedding model folder is missing or unusable."""


class IndexStateError(BotError):
    """The index is missing, corrupt, or does not match the facts/model (stale)."""
