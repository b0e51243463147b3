"""DOCX → PDF through LibreOffice headless (``cia_authoring.documents.libreoffice``).

One real conversion of a rendered CIA; the failure modes against stand-in
``soffice`` scripts that hang, crash, write nothing or write something that is
not a PDF — each conversion must clean up its profile and kill what it started.
"""
from __future__ import annotations

import io
import json
import shutil
import stat
import tempfile
import time
from pathlib import Path

import pytest
from pypdf import PdfReader

from cia_authoring.documents import libreoffice as pdf_module
from cia_authoring.documents.libreoffice import PdfConversionError, docx_to_pdf, docx_to_pdfs
from cia_authoring.documents.render import render_docx
from tests.support import is_ci, planted_content

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _load(name: str) -> dict:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def _docx(status: str = "approved") -> bytes:
    content = planted_content()
    content["post_deployment_review"] = _load("post-deployment-review.json")
    ctx = {"force_name": "Metropolitan Police Service", "operation": _load("operation.json"),
           "cia": {"version": 2, "status": status, "content": content},
           "rendered_at": "2026-05-20T09:00:00+00:00"}
    return render_docx(ctx, title="CIA LFR-2026-0042 v2", author_label="Metropolitan Police Service")


@pytest.fixture
def soffice() -> str:
    binary = pdf_module.soffice_binary()
    if not (binary and shutil.which(binary)):
        if is_ci():
            pytest.fail("LibreOffice is mandatory under CI (infra/lib.sh installs it)")
        pytest.skip("LibreOffice (soffice) is not installed")
    return binary


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """This test's own temporary directory for the conversions' working directory
    and LibreOffice profile: what is left behind is counted here, not among every
    other process's files in /tmp."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def _leftovers(scratch: Path) -> list[str]:
    return sorted(p.name for p in scratch.iterdir())


def _assert_profiles_removed(tmp_path: Path, scratch: Path) -> None:
    """The fake was given a profile in ``scratch`` (so the check is about this
    conversion) and nothing of the conversion is left there."""
    used = (tmp_path / "profiles.log").read_text().split()
    assert used and all(Path(u).parent == scratch for u in used), used
    assert _leftovers(scratch) == []


def test_a_rendered_cia_converts_to_a_readable_pdf(soffice, scratch):
    data = docx_to_pdf(_docx(), soffice=soffice)
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Croydon Town Centre LFR Deployment" in text
    assert "13. Post-deployment review" in text and "Alerts and engagements by IC code" in text
    assert f"Page 1 of {len(reader.pages)}" in text  # the footer's page fields were computed
    assert "{{" not in text and "{%" not in text
    assert _leftovers(scratch) == []  # its own profile and working directory, removed


def test_several_documents_convert_in_one_process_in_their_order(soffice, scratch):
    # A draft carries its watermark, an approved version none: each PDF is its own DOCX's.
    pdfs = docx_to_pdfs([_docx("draft"), _docx("approved"), _docx("draft")], soffice=soffice)
    texts = ["\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages) for pdf in pdfs]
    assert all("Croydon Town Centre LFR Deployment" in t for t in texts)
    assert ["DRAFT" in t for t in texts] == [True, False, True]
    assert _leftovers(scratch) == []


def _fake(tmp_path: Path, body: str) -> str:
    """A stand-in soffice: a shell script that gets the same arguments."""
    script = tmp_path / "fake-soffice"
    log = tmp_path / "profiles.log"
    script.write_text("#!/bin/sh\n"
                      # Create the profile directory the way LibreOffice would; note it.
                      'for a in "$@"; do case "$a" in -env:UserInstallation=file://*)'
                      ' p="${a#-env:UserInstallation=file://}"; mkdir -p "$p";'
                      f' echo "$p" >> "{log}";; esac; done\n'
                      'for a in "$@"; do last="$a"; done\n'
                      'outdir=""; prev=""; for a in "$@"; do [ "$prev" = "--outdir" ] && outdir="$a";'
                      ' prev="$a"; done\n' + body + "\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return str(script)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie is dead, only not yet reaped by init


def test_a_hanging_conversion_is_killed_with_its_children(tmp_path, monkeypatch, scratch):
    pidfile = tmp_path / "child.pid"
    monkeypatch.setenv("FAKE_PIDFILE", str(pidfile))
    fake = _fake(tmp_path, 'sleep 300 & echo $! > "$FAKE_PIDFILE"; wait')
    with pytest.raises(PdfConversionError, match="within 1 s"):
        docx_to_pdf(b"PK fake docx", soffice=fake, timeout_s=1)
    child = int(pidfile.read_text())
    deadline = time.monotonic() + 5
    while _alive(child) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _alive(child)
    _assert_profiles_removed(tmp_path, scratch)


@pytest.mark.parametrize("body, message", [
    ("exit 0", r"produced no PDF \(exit code 0\)"),
    ('echo "source file could not be loaded"; exit 0', "source file could not be loaded"),
    ('echo "<html>no</html>" > "$outdir/document-0.pdf"; exit 0', "not a PDF"),
    ("exit 81", "exit code 81"),
])
def test_the_output_not_the_exit_code_decides(tmp_path, body, message, scratch):
    with pytest.raises(PdfConversionError, match=message):
        docx_to_pdf(b"PK fake docx", soffice=_fake(tmp_path, body))
    _assert_profiles_removed(tmp_path, scratch)


def test_a_fake_that_writes_a_pdf_is_believed(tmp_path):
    # Proves the checks above are about the output: a file starting %PDF passes.
    fake = _fake(tmp_path, 'printf "%%PDF-1.7 fake" > "$outdir/document-0.pdf"; exit 3')
    assert docx_to_pdf(b"PK fake docx", soffice=fake) == b"%PDF-1.7 fake"


def test_missing_binary_and_empty_input_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(PdfConversionError, match="Could not start LibreOffice"):
        docx_to_pdf(b"PK", soffice=str(tmp_path / "no-such-soffice"))
    with pytest.raises(PdfConversionError, match="empty"):
        docx_to_pdf(b"")
    monkeypatch.setenv("CIA_SOFFICE", "/opt/custom/soffice")
    assert pdf_module.soffice_binary() == "/opt/custom/soffice"
    monkeypatch.delenv("CIA_SOFFICE")
    monkeypatch.setenv("PATH", str(tmp_path))
    assert pdf_module.soffice_binary() is None
    with pytest.raises(PdfConversionError, match="not installed"):
        docx_to_pdf(b"PK")
