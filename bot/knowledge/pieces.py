"""The unigram Viterbi of sentencepiece over memory-mapped tables of its pieces.

sentencepiece holds the 250k pieces of XLM-R as protobuf messages, a hash map and a double
array: ~54 MB resident and ~0.3 s to load at every start, for the few dozen pieces a question
uses. `build()` writes, once, a marisa trie of the pieces with their ids and scores in flat
arrays; `Pieces` maps them and runs the same Viterbi as sentencepiece's optimised unigram
encoder (float32 path scores, ties to the earlier start, a character no piece covers scored
`min score - 10` as <unk>, a run of <unk> merged into one), so the ids are sentencepiece's
(tests/model/test_encoder.py compares them on the article, the facts, the evaluation set and
random text).
"""
from __future__ import annotations

import hashlib
import json
import mmap
from pathlib import Path

import numpy as np

from bot.knowledge import tables

FORMAT = 1
UNK_PENALTY = 10.0  # sentencepiece's kUnkPenalty


def folder_for(model_file: Path) -> Path:
    """Where the tables of a sentencepiece model live: beside it, named after its bytes."""
    digest = hashlib.sha256(Path(model_file).read_bytes()).hexdigest()[:16]
    return Path(model_file).with_name(f"pieces-{digest}-v{FORMAT}")


def build(model_file: Path, folder: Path) -> None:
    """Write the tables of `model_file` into `folder` (created atomically)."""
    import marisa_trie
    from sentencepiece import sentencepiece_model_pb2 as pb

    proto = pb.ModelProto()
    proto.ParseFromString(Path(model_file).read_bytes())
    kind = pb.ModelProto.SentencePiece
    if proto.trainer_spec.model_type != pb.TrainerSpec.UNIGRAM or proto.trainer_spec.byte_fallback:
        raise ValueError(f"{model_file} is not a plain unigram model")
    if any(p.type == kind.USER_DEFINED for p in proto.pieces):
        raise ValueError(f"{model_file} has user-defined pieces, which these tables do not model")
    normal = {p.piece: (i, p.score) for i, p in enumerate(proto.pieces) if p.type == kind.NORMAL}
    trie = marisa_trie.Trie(normal)
    ids, scores = np.zeros(len(trie), dtype="<i4"), np.zeros(len(trie), dtype="<f4")
    for piece, key in trie.items():
        ids[key], scores[key] = normal[piece]
    min_score = np.float32(min(score for _, score in normal.values()))
    specials = {role: getattr(proto.trainer_spec, f"{role}_id") for role in ("unk", "bos", "eos")}

    def write(tmp: Path) -> None:
        trie.save(str(tmp / "keys.marisa"))
        (tmp / "ids.i4").write_bytes(ids.tobytes())
        (tmp / "scores.f4").write_bytes(scores.tobytes())
        (tmp / "meta.json").write_text(json.dumps(
            {"format": FORMAT, "pieces": len(proto.pieces), "longest": max(map(len, normal)), **specials,
             "unk_score": float(np.float32(min_score - np.float32(UNK_PENALTY)))}))

    tables.publish(folder, write)


def prepare(model_file: Path) -> Path:
    """The tables' folder for `model_file`, built the first time."""
    folder = folder_for(model_file)
    if not (folder / "meta.json").is_file():
        build(model_file, folder)
    return folder


def _mapped(path: Path, dtype: str) -> np.ndarray:
    with open(path, "rb") as fh:
        return np.frombuffer(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ), dtype=dtype)


class Pieces:
    """sentencepiece's `encode` for a list of words, over the tables of `prepare()`."""

    def __init__(self, folder: Path):
        import marisa_trie

        meta = json.loads((Path(folder) / "meta.json").read_text())
        self.trie = marisa_trie.Trie()
        self.trie.mmap(str(Path(folder) / "keys.marisa"))
        self.ids, self.scores = _mapped(Path(folder) / "ids.i4", "<i4"), _mapped(Path(folder) / "scores.f4", "<f4")
        if meta.get("format") != FORMAT or not len(self.ids) == len(self.scores) == len(self.trie):
            raise ValueError(f"piece tables in {folder} do not match")
        self.unk, self.bos, self.eos = meta["unk"], meta["bos"], meta["eos"]
        self.unk_score, self.longest = np.float32(meta["unk_score"]), meta["longest"]

    def encode(self, words: list[str]) -> list[list[int]]:
        return [self.word(w) for w in words]

    def word(self, text: str) -> list[int]:
        """The best segmentation of `text` into pieces, as ids."""
        n = len(text)
        score = [np.float32(0.0)] * (n + 1)   # best path score ending at each position
        start = [-1] * (n + 1)                # where the last piece of that path starts
        piece = [self.unk] * (n + 1)
        for i in range(n):
            here, covered = score[i], False
            for key, k in self.trie.iter_prefixes_with_ids(text[i:i + self.longest]):
                end = i + len(key)
                candidate = self.scores[k] + here  # float32, as sentencepiece adds
                if start[end] == -1 or candidate > score[end]:
                    score[end], start[end], piece[end] = candidate, i, int(self.ids[k])
                covered = covered or end == i + 1
            if not covered:  # no piece is this one character: <unk>
                candidate = self.unk_score + here
                if start[i + 1] == -1 or candidate > score[i + 1]:
                    score[i + 1], start[i + 1], piece[i + 1] = candidate, i, self.unk
        out, end = [], n
        while end > 0:
            out.append(piece[end])
            end = start[end]
        out.reverse()
        return [p for j, p in enumerate(out) if not (p == self.unk and j and out[j - 1] == self.unk)]
