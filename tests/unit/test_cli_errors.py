"""The CLI's errors as a user meets them (a subprocess): one line that names the fix, and no model needed."""
from support import run_cli


def _no_index(tmp_path):
    """An empty index folder of the test's own: the engine caches parsed facts there before it looks for the
    model, and this tier leaves the project's index/ alone."""
    return {"QA_INDEX_DIR": str(tmp_path / "index")}


def test_bad_setting_is_a_clear_error():
    out = run_cli(["ask", "x"], env_extra={"QA_MIN_VERIFIED": "lots"})
    assert out.returncode == 2 and "QA_MIN_VERIFIED must be a number" in out.stderr


def test_check_reports_full_coverage():
    out = run_cli(["check"])
    assert out.returncode == 0 and "0 article figure token(s) not carried" in out.stdout


def test_missing_model_folder_names_the_fix(tmp_path):
    out = run_cli(["ask", "会员总数"], env_extra={"QA_MODEL": str(tmp_path / "no-model"), **_no_index(tmp_path)})
    assert out.returncode == 1 and "make setup" in out.stderr and "Traceback" not in out.stderr


def test_damaged_model_folder_names_the_fix(tmp_path):
    folder = tmp_path / "model"
    folder.mkdir()
    (folder / "modules.json").write_text("[]")
    (folder / "config.json").write_text("{broken")
    out = run_cli(["ask", "会员总数"], env_extra={"QA_MODEL": str(folder), **_no_index(tmp_path)})
    assert out.returncode == 1 and "prepare_model.py --force" in out.stderr and "Traceback" not in out.stderr
