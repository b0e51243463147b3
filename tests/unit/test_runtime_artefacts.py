"""Nothing a run makes is tracked by git: databases, locks, caches and results stay
out of the repository (a directory named ``sqlite:`` once got in, an in-memory
database URL taken for a path)."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

from cia_common.migrate import upgrade

ROOT = Path(__file__).resolve().parents[2]
RUNTIME = re.compile(r"(^|/)(__pycache__|\.state|\.hypothesis|\.pytest_cache|\.venv)(/|$)"
                     r"|\.(db|sqlite|sqlite3|lock|pyc|log)$|^sqlite:|^bench/results/")


def tracked() -> list[str]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, check=True, capture_output=True)
    return [name for name in out.stdout.decode().split("\0") if name]


def test_no_runtime_artefact_is_tracked():
    files = tracked()
    assert "README.md" in files  # the listing is the repository's
    assert [f for f in files if RUNTIME.search(f)] == []


def test_the_pattern_knows_a_runtime_artefact_when_it_sees_one():
    for name in ("sqlite:/.migrate.lock", ".state/data/authoring.db", "a/__pycache__/b.pyc",
                 "bench/results/latest.json", "x.sqlite"):
        assert RUNTIME.search(name), name
    assert not RUNTIME.search("services/common/cia_common/migrate.py")


def test_migrating_an_in_memory_database_leaves_no_file_behind(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from cia_review.spec import MIGRATIONS
    upgrade("sqlite://", MIGRATIONS)
    assert list(tmp_path.iterdir()) == []
    upgrade(f"sqlite:///{tmp_path / 'file.db'}", MIGRATIONS)  # a file database: its lock beside it
    assert {p.name for p in tmp_path.iterdir()} == {"file.db", "file.db.migrate.lock"}
