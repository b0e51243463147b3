"""One CI flag: the tests read ``CI`` by the same truth table as infra/lib.sh's
``cia_is_ci``, and under CI a skipped test fails the run."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support import is_ci

REPO = Path(__file__).resolve().parents[2]
VALUES = ["true", "TRUE", "True", "1", "yes", "", "false", "False", "0", "no", "YES", "tRUE",
          " true", "true ", "on", "y"]


def bash_is_ci(value: str | None) -> bool:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if value is not None:
        env["CI"] = value
    result = subprocess.run(["bash", "-c", 'source infra/lib.sh && cia_is_ci'], cwd=REPO, env=env,
                            capture_output=True, timeout=30)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 0


def test_the_tests_and_the_scripts_agree_on_what_ci_means():
    table = {v: bash_is_ci(v) for v in [*VALUES, None]}
    assert table["true"] and table["1"] and not table[""] and not table[None]  # a real table
    assert {v: is_ci({} if v is None else {"CI": v}) for v in table} == table


def run_suite(tmp_path: Path, ci: str | None) -> subprocess.CompletedProcess:
    """A pytest run, with the suite's conftest as a plugin, of one passing test and
    one that skips."""
    (tmp_path / "test_sample.py").write_text(textwrap.dedent("""
        import pytest

        def test_runs():
            assert True

        def test_skips():
            pytest.skip("no such tool here")
    """))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if ci is not None:
        env["CI"] = ci
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.conftest", "-q",
                           "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"),
                           "--rootdir", str(tmp_path), str(tmp_path / "test_sample.py")],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("ci", ["true", "yes"])
def test_a_skip_fails_the_run_under_ci(tmp_path, ci):
    result = run_suite(tmp_path, ci)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed, 1 passed" in result.stdout
    assert "skipped under CI, which counts as a failure: Skipped: no such tool here" in result.stdout


def test_outside_ci_a_skip_is_only_a_skip(tmp_path):
    result = run_suite(tmp_path, None)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 1 skipped" in result.stdout
