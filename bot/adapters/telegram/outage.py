"""Telegram outages as the getUpdates connection sees them: one WARNING when one starts, one
line when it ends, instead of a traceback per retry or silence."""
from __future__ import annotations

import logging
import time

logger = logging.getLogger(__name__)


class Outage:
    """Fed with the outcome of every getUpdates call. PTB retries a failed poll for ever
    with back-off (1 s, ×1.5, up to 30 s) and logs each retry only at DEBUG."""

    def __init__(self, clock=time.monotonic):
        self.clock = clock
        self.since: float | None = None
        self.failures = 0

    def failed(self, reason: str) -> None:
        self.failures += 1
        if self.since is None:
            self.since = self.clock()
            logger.warning("Telegram is unreachable (getUpdates: %s); polling retries with back-off "
                           "and questions wait until it is back", reason)
        else:
            logger.debug("getUpdates failed again (%s), %d in a row", reason, self.failures)

    def succeeded(self, sent_at: float) -> None:
        """A poll sent at `sent_at` (this clock) succeeded. A long poll answers only when an
        update comes or its timeout ends: the outage was over when it was sent."""
        if self.since is not None:
            logger.warning("Telegram is reachable again after %.0f s (%d failed polls)",
                           max(0.0, sent_at - self.since), self.failures)
        self.since, self.failures = None, 0
