"""The model conversion's errors: a missing or malformed source is one clean line and leaves nothing behind."""
from __future__ import annotations

import pytest

from support import load_script


@pytest.fixture(scope="module")
def prepare():
    return load_script("prepare_model")


@pytest.mark.parametrize("make_source", [
    lambda real: b"",
    lambda real: b"not a model at all" * 100,
    lambda real: real[:4096],                      # truncated inside the vocabulary
    lambda real: real[:len(real) - 1000],          # truncated inside the tensor data
], ids=["empty", "garbage", "truncated-vocab", "truncated-tensors"])
def test_malformed_source_is_a_clean_error(prepare, tmp_path, capsys, make_source):
    source = tmp_path / "bad.bin"
    source.write_bytes(make_source(prepare.default_source().read_bytes()))
    output = tmp_path / "out"
    assert prepare.main(["--source", str(source), "--output", str(output)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "\n" not in err
    assert not output.exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out")]  # temp dir removed
    with pytest.raises(prepare.ConversionError):
        prepare.convert(source, output)


def test_missing_source_is_a_clean_error(prepare, tmp_path, capsys):
    status = prepare.main(["--source", str(tmp_path / "nope.bin"), "--output", str(tmp_path / "o")])
    assert status == 2
    assert capsys.readouterr().err.startswith("error: source model not found")
