"""DOCX → PDF with LibreOffice headless.

``docx_to_pdf(docx_bytes)`` runs ``soffice --headless --convert-to pdf`` on a
private copy of the document and returns the PDF bytes, or raises
:class:`PdfConversionError` with a message an operator can act on.

- Every conversion gets its own LibreOffice profile
  (``-env:UserInstallation=file:///tmp/lo-cia-<owner>-<uuid>``): two
  conversions sharing a profile fail or hand their work to each other. The
  profile and the working directory (``/tmp/cia-pdf-<owner>-…``) are removed
  afterwards, whatever happened.
- The process runs in its own process group and the whole group is killed on
  timeout (``soffice`` is a launcher that starts ``soffice.bin``).
- The running conversions of this process are registered, so
  :func:`kill_running` stops them all (the worker's shutdown). ``<owner>`` is
  the converting process's pid and start time: :func:`sweep_orphans` (the
  worker's start-up) finds LibreOffice processes and files left by a process
  that is gone (a crash, SIGKILL), by the profile in their command line, and
  kills their process groups. The sweep reads ``/proc`` and is Linux-only (a
  no-op elsewhere); it looks at the temporary directory of this process only.
- Success is judged by the output, not the exit code (which is not reliable):
  the PDF must exist and start with ``%PDF``.

The binary is ``$CIA_SOFFICE`` if set, else ``soffice`` on the PATH (Debian:
``libreoffice-writer-nogui``, installed by ``infra/lib.sh``). At most
``$CIA_PDF_CONCURRENCY`` (default 2) conversions run at once in one process;
further callers wait for a slot (the wait does not count against the timeout).
"""
from __future__ import annotations

import logging
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 120
PDF_MAGIC = b"%PDF"
PROFILE_PREFIX = "lo-cia-"
WORKDIR_PREFIX = "cia-pdf-"
_USER_INSTALLATION = "-env:UserInstallation="
# <owner>-<uuid>, <owner> = <pid>.<start time in clock ticks>
_OWNED = re.compile(r"^(?:%s|%s)(\d+)\.(\d+)-" % (re.escape(PROFILE_PREFIX),
                                                   re.escape(WORKDIR_PREFIX)))

# The LibreOffice process groups this process has running (pid = pgid).
_RUNNING: dict[int, subprocess.Popen] = {}
_RUNNING_LOCK = threading.Lock()

# Each LibreOffice process takes a few hundred MB and a core: bound them per process.
_SLOTS = threading.BoundedSemaphore(max(1, int(os.environ.get("CIA_PDF_CONCURRENCY", "2"))))


class PdfConversionError(RuntimeError):
    """LibreOffice did not produce a PDF (missing, timed out, crashed, bad input)."""


def soffice_binary() -> str | None:
    configured = os.environ.get("CIA_SOFFICE")
    if configured:
        return configured
    return shutil.which("soffice") or shutil.which("libreoffice")


def available() -> bool:
    """Whether a LibreOffice binary can be found (it may still fail to convert)."""
    binary = soffice_binary()
    return bool(binary and shutil.which(binary))


def docx_to_pdf(docx_bytes: bytes, *, timeout_s: float = DEFAULT_TIMEOUT_S,
                soffice: str | None = None) -> bytes:
    """Convert one DOCX document to PDF and return the PDF bytes."""
    return docx_to_pdfs([docx_bytes], timeout_s=timeout_s, soffice=soffice)[0]


def docx_to_pdfs(documents: list[bytes], *, timeout_s: float = DEFAULT_TIMEOUT_S,
                 soffice: str | None = None) -> list[bytes]:
    """Convert several DOCX documents to PDF in one LibreOffice process (its start-up
    is most of a small document's conversion), the PDFs in the same order."""
    if not documents or not all(documents):
        raise PdfConversionError("Nothing to convert: a DOCX is empty.")
    binary = soffice or soffice_binary()
    if not binary:
        raise PdfConversionError(
            "LibreOffice (soffice) is not installed; install the Debian package "
            "libreoffice-writer-nogui or set CIA_SOFFICE.")
    with _SLOTS:
        return _convert(documents, binary, timeout_s)


def _start_ticks(pid: int) -> str | None:
    """The start time of ``pid`` (clock ticks since boot), or None if it is gone.

    With the pid it names one process: a pid reused later has another start time.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return None if fields[0] == "Z" else fields[19]  # field 22 of proc(5); zombie = gone


def owner_tag() -> str:
    """This process, as written into the names of its profiles and working dirs."""
    pid = os.getpid()
    return f"{pid}.{_start_ticks(pid) or 0}"


def _owner_alive(pid: str, ticks: str) -> bool:
    return _start_ticks(int(pid)) == ticks


def _convert(documents: list[bytes], binary: str, timeout_s: float) -> list[bytes]:
    owner = owner_tag()
    workdir = Path(tempfile.mkdtemp(prefix=f"{WORKDIR_PREFIX}{owner}-"))
    profile = Path(tempfile.gettempdir()) / f"{PROFILE_PREFIX}{owner}-{uuid.uuid4().hex}"
    try:
        sources = []
        for n, docx_bytes in enumerate(documents):
            sources.append(workdir / f"document-{n}.docx")
            sources[-1].write_bytes(docx_bytes)
        outdir = workdir / "out"
        outdir.mkdir()
        argv = [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                "--invisible", "--nologo", "--nodefault", "--norestore", "--nolockcheck",
                "--convert-to", "pdf", "--outdir", str(outdir), *map(str, sources)]
        # HOME inside the working directory: nothing of the service account's is touched.
        env = {**os.environ, "HOME": str(workdir)}
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, cwd=workdir, env=env,
                                    start_new_session=True)
        except OSError as exc:
            raise PdfConversionError(f"Could not start LibreOffice ({binary}): {exc}") from exc
        with _RUNNING_LOCK:
            _RUNNING[proc.pid] = proc
        try:
            output, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise PdfConversionError(
                f"LibreOffice did not finish converting within {timeout_s:g} s; "
                "the conversion was stopped.") from None
        finally:
            with _RUNNING_LOCK:
                _RUNNING.pop(proc.pid, None)
            # The launcher may exit before its children; leave nothing behind.
            _kill_group(proc, only_leftovers=True)
        out = []
        for source in sources:
            pdf = outdir / source.with_suffix(".pdf").name
            if not pdf.is_file():
                raise PdfConversionError(f"LibreOffice produced no PDF (exit code "
                                         f"{proc.returncode}): {_tail(output)}")
            data = pdf.read_bytes()
            if not data.startswith(PDF_MAGIC):
                raise PdfConversionError(
                    f"LibreOffice wrote a file that is not a PDF ({len(data)} bytes).")
            out.append(data)
        return out
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        shutil.rmtree(profile, ignore_errors=True)


def _kill_group(proc: subprocess.Popen, *, only_leftovers: bool = False) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if not only_leftovers:
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            pass


def kill_running() -> int:
    """Kill the process group of every conversion this process has running (they
    then fail with PdfConversionError); returns how many were killed."""
    with _RUNNING_LOCK:
        procs = list(_RUNNING.values())
    for proc in procs:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    if procs:
        log.warning("killed %d running LibreOffice conversion(s)", len(procs))
    return len(procs)


def _profile_of(pid: int) -> Path | None:
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return None
    for arg in argv:
        if arg.startswith(_USER_INSTALLATION.encode()):
            uri = arg[len(_USER_INSTALLATION):].decode("utf-8", errors="replace")
            return Path(uri.removeprefix("file://")) if uri.startswith("file://") else None
    return None


def sweep_orphans() -> list[int]:
    """Kill the LibreOffice process groups, and remove the profiles and working
    directories, that a conversion left when its process died (Linux).

    A process is an orphan when the profile in its command line is one of ours
    (in this process's temporary directory, named ``lo-cia-<owner>-…``) and its
    owner is no longer running. Returns the pids found and killed.
    """
    proc_dir = Path("/proc")
    if not proc_dir.is_dir():
        return []
    tmp = Path(tempfile.gettempdir())
    own_group = os.getpgrp()
    killed = []
    for entry in proc_dir.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        pid = int(entry.name)
        profile = _profile_of(pid)
        if profile is None or profile.parent != tmp:
            continue
        owned = _OWNED.match(profile.name)
        if not owned or not profile.name.startswith(PROFILE_PREFIX) or _owner_alive(*owned.groups()):
            continue
        try:
            pgid = os.getpgid(pid)
            if pgid != own_group:  # conversions run in their own group; never kill ours
                os.killpg(pgid, signal.SIGKILL)
            else:
                os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            continue
        killed.append(pid)
    removed = 0
    for path in tmp.iterdir():
        owned = _OWNED.match(path.name)
        if owned and path.is_dir() and not _owner_alive(*owned.groups()):
            shutil.rmtree(path, ignore_errors=True)
            removed += 1
    if killed or removed:
        log.warning("removed what crashed LibreOffice conversions left: %d process(es) "
                    "killed, %d director(ies) removed", len(killed), removed)
    return killed


def _tail(output: bytes | None, limit: int = 500) -> str:
    text = (output or b"").decode("utf-8", errors="replace").strip()
    return text[-limit:] if text else "no output"
