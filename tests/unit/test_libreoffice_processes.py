"""LibreOffice processes never outlive their conversion: a timeout kills the
whole process group, the worker's shutdown kills the running conversions, and
its start-up kills what a crashed worker left (stand-in ``soffice`` scripts
that start a child ``sleep``; Linux)."""
from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from cia_authoring import settings
from cia_authoring.documents import libreoffice as pdf_module
from cia_authoring.documents.libreoffice import PdfConversionError, docx_to_pdf
from cia_authoring.worker import worker_spec
from tests.support import wait_for

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="Linux /proc")


@pytest.fixture
def scratch(tmp_path, monkeypatch) -> Path:
    """This test's own temporary directory: the sweep looks only there."""
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    return scratch


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"  # a zombie is dead, only not yet reaped


def _gone(pid: int) -> bool:
    return not _alive(pid)


def _hanging_soffice(tmp_path: Path, pidfile: Path) -> str:
    """A stand-in soffice that starts a child and waits for it (as the launcher
    waits for soffice.bin), noting the child's pid."""
    script = tmp_path / "hanging-soffice"
    script.write_text(f'#!/bin/sh\nsleep 300 &\necho $! > "{pidfile}"\nwait\n')
    script.chmod(0o755)
    return str(script)


def test_a_timed_out_conversion_kills_its_whole_process_group(tmp_path, scratch):
    pidfile = tmp_path / "child.pid"
    with pytest.raises(PdfConversionError, match="within 1 s"):
        docx_to_pdf(b"PK fake docx", soffice=_hanging_soffice(tmp_path, pidfile), timeout_s=1)
    # The child is not the process that was started: only a group kill reaches it.
    assert wait_for(lambda: _gone(int(pidfile.read_text())), timeout=10, message="child gone")
    assert pdf_module._RUNNING == {}
    assert list(scratch.iterdir()) == []


def test_shutdown_kills_the_running_conversions(tmp_path, scratch):
    pidfile = tmp_path / "child.pid"
    errors: list[Exception] = []

    def convert():
        try:
            docx_to_pdf(b"PK fake docx", soffice=_hanging_soffice(tmp_path, pidfile),
                        timeout_s=300)
        except PdfConversionError as exc:
            errors.append(exc)

    thread = threading.Thread(target=convert)
    thread.start()
    wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(), message="child started")
    child = int(pidfile.read_text())

    # The child may write its pid before the converting thread has registered it.
    killed = []
    assert wait_for(lambda: killed.append(pdf_module.kill_running()) or killed[-1] >= 1,
                    message="the conversion registered")
    assert killed[-1] == 1
    thread.join(30)
    assert not thread.is_alive()
    assert len(errors) == 1 and "produced no PDF" in str(errors[0])  # ended, not timed out
    assert wait_for(lambda: _gone(child), timeout=10, message="child gone")
    assert pdf_module.kill_running() == 0  # nothing registered any more


def _stand_in(profile: Path, pidfile: Path) -> subprocess.Popen:
    """A process whose command line carries ``profile`` as LibreOffice's would,
    in its own process group with a child ``sleep``."""
    return subprocess.Popen(
        ["sh", "-c", 'sleep 300 & echo $! > "$1"; wait', "sh", str(pidfile),
         f"-env:UserInstallation={profile.as_uri()}"], start_new_session=True)


def _dead_owner() -> str:
    probe = subprocess.Popen(["true"])
    probe.wait()
    return f"{probe.pid}.0"  # a pid that has exited; start time 0 matches no running process


def test_start_up_sweep_kills_what_a_dead_owner_left_and_nothing_else(tmp_path, scratch):
    dead, live = _dead_owner(), pdf_module.owner_tag()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    orphan_profile = scratch / f"lo-cia-{dead}-aaaa"
    specs = {
        "orphan": orphan_profile,
        "live owner": scratch / f"lo-cia-{live}-bbbb",
        "other tmp": elsewhere / f"lo-cia-{dead}-cccc",
    }
    procs, children = {}, {}
    try:
        for name, profile in specs.items():
            pidfile = tmp_path / f"{name.replace(' ', '-')}.pid"
            procs[name] = _stand_in(profile, pidfile)
            children[name] = int(wait_for(lambda: pidfile.exists() and pidfile.read_text().strip(),
                                          message=f"{name} started"))
        for d in (orphan_profile, scratch / f"cia-pdf-{dead}-dddd", specs["live owner"],
                  scratch / f"cia-pdf-{live}-eeee", scratch / "lo-someone-else"):
            d.mkdir()

        killed = pdf_module.sweep_orphans()

        assert killed == [procs["orphan"].pid]
        assert procs["orphan"].wait(10) == -signal.SIGKILL
        assert wait_for(lambda: _gone(children["orphan"]), timeout=10, message="orphan's child")
        for name in ("live owner", "other tmp"):
            assert procs[name].poll() is None and _alive(children[name]), name
        # The dead owner's profile and working directory are removed; the rest stay.
        assert sorted(p.name for p in scratch.iterdir()) == sorted(
            [f"lo-cia-{live}-bbbb", f"cia-pdf-{live}-eeee", "lo-someone-else"])
    finally:
        for proc in procs.values():
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)


def test_the_authoring_worker_sweeps_at_start_and_kills_at_stop():
    spec = worker_spec(settings.load({"DATABASE_URL": "sqlite://"}))
    assert spec.on_start == [pdf_module.sweep_orphans]
    assert spec.on_stop == [pdf_module.kill_running]
