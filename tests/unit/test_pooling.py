"""The serving encoder's pooling against sentence-transformers', and its row lookup, on made-up arrays."""
from __future__ import annotations

import numpy as np
import pytest

from bot.knowledge.encoder import Rows, pool


@pytest.mark.parametrize("modes", [("mean",), ("cls",), ("max",), ("mean_sqrt_len_tokens",), ("lasttoken",),
                                   ("cls", "mean")])
@pytest.mark.parametrize("prompt_length", [0, 3])
def test_pooling_equals_sentence_transformers(modes, prompt_length):
    import torch
    from sentence_transformers.sentence_transformer.modules import Pooling

    rng = np.random.default_rng(7)
    tokens = rng.normal(size=(3, 9, 8)).astype(np.float32)
    mask = np.zeros((3, 9), dtype=np.int64)
    for row, length in enumerate((9, 5, 4)):
        mask[row, :length] = 1
    module = Pooling(8, pooling_mode=modes[0] if len(modes) == 1 else modes, include_prompt=not prompt_length)
    features = {"token_embeddings": torch.from_numpy(tokens), "attention_mask": torch.from_numpy(mask)}
    if prompt_length:
        features["prompt_length"] = prompt_length
    expected = module(features)["sentence_embedding"].numpy()
    assert np.allclose(pool(tokens, mask, modes, prompt_length), expected, atol=1e-6)


def test_rows_outside_the_table_are_refused(tmp_path):
    table = tmp_path / "t.embeddings"
    table.write_bytes(np.arange(12, dtype=np.uint8).tobytes())
    rows = Rows(table, "table", ["rows", 4], np.dtype(np.uint8))
    local, data = rows(np.array([[2, 0, 2]]))
    assert local.tolist() == [[1, 0, 1]] and data.tolist() == [[0, 1, 2, 3], [8, 9, 10, 11]]
    with pytest.raises(ValueError, match="outside"):
        rows(np.array([[3]]))
