"""cia_redaction stands alone: it imports, and its README's example runs and prints
what the README says, in a Python whose path holds the library and the third-party
packages only — no service, no contract package, no project install."""
from __future__ import annotations

import json
import re
import subprocess
import sys
import sysconfig
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "redaction" / "README.md"

PROBE = r"""
import importlib, io, json, socket, sys, contextlib
# Offline: every attempt to open a connection is recorded and refused.
attempts = []
def refuse(*args, **kwargs):
    attempts.append(repr(args[:2]))
    raise OSError("no network in this probe")
socket.socket.connect = refuse
socket.create_connection = refuse
import cia_redaction
out = io.StringIO()
with contextlib.redirect_stdout(out):
    exec(compile(sys.argv[1], "README.md", "exec"), {})
model_attempts = list(attempts)
try:  # positive control: the guard does see a connection
    socket.create_connection(("127.0.0.1", 9))
except OSError:
    pass
from cia_redaction import names
model = names.load.cache_info().currsize and names.load()
spec = importlib.util.find_spec(names.MODEL)
missing = {}
for name in ("cia_schemas", "cia_common", "cia_authoring"):
    try:
        importlib.import_module(name)
    except ImportError:
        missing[name] = True
loaded = sorted({m.split(".")[0] for m in sys.modules})
print(json.dumps({"printed": out.getvalue(), "not_importable": sorted(missing), "loaded": loaded,
                  "model_attempts": model_attempts, "control_attempts": len(attempts),
                  "model_pipes": model.pipe_names if model else [],
                  "model_origin": spec.origin if spec else None}))
"""


def readme_parts() -> tuple[str, str]:
    text = README.read_text(encoding="utf-8")
    code = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    printed = re.search(r"prints\n\n```text\n(.*?)```", text, re.S).group(1)
    return code, printed


def test_the_library_runs_alone(tmp_path):
    # Only the library (by its package name) and the installed third-party packages:
    # -S skips site, so the editable install's finder that maps the project's packages
    # is not loaded; -I ignores PYTHONPATH and the user's site.
    (tmp_path / "cia_redaction").symlink_to(ROOT / "redaction", target_is_directory=True)
    purelib = sysconfig.get_paths()["purelib"]
    code, printed = readme_parts()
    bootstrap = (f"import sys; sys.path[:0] = [{str(tmp_path)!r}, {purelib!r}]; "
                 f"exec({PROBE!r})")
    result = subprocess.run([sys.executable, "-I", "-S", "-c", bootstrap, code],
                            capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["printed"] == printed
    assert report["not_importable"] == ["cia_authoring", "cia_common", "cia_schemas"]
    # Nothing of the web, the database or the broker was loaded on the way.
    assert not {"flask", "sqlalchemy", "kafka", "marshmallow", "psycopg"} & set(report["loaded"])
    # Positive control: the same probe sees a package it did load.
    assert {"cia_redaction", "phonenumbers"} <= set(report["loaded"])
    # The name model ran (the README's output has its detector), loaded from
    # site-packages, without opening a connection; the guard does see one.
    assert "person_model" in report["printed"] and "spacy" in report["loaded"]
    assert report["model_pipes"] == ["tok2vec", "ner"]
    assert report["model_origin"].startswith(purelib)
    assert report["model_attempts"] == [] and report["control_attempts"] == 1
