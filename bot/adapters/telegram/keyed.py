"""What inline buttons stand for: a bounded table under random keys, since callback data holds 64 bytes."""
from __future__ import annotations

import collections
import secrets


class Keyed:
    """The newest `size` values, each under a random 12-hex-digit key that a button's callback
    data carries. In memory only: after a restart every key is unknown, and old buttons expire."""

    def __init__(self, size: int):
        self.size = size
        self._items: collections.OrderedDict[str, object] = collections.OrderedDict()

    def __len__(self) -> int:
        return len(self._items)

    def put(self, value, key: str | None = None) -> str:
        """Keep `value` (under `key`, or a new one) as the newest; forget the oldest beyond `size`."""
        key = key or secrets.token_hex(6)
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.size:
            self._items.popitem(last=False)
        return key

    def get(self, key: str | None):
        return self._items.get(key) if key else None
