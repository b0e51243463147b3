"""DOCX → PDF with LibreOffice headless.

``docx_to_pdf(docx_bytes)`` runs ``soffice --headless --convert-to pdf`` on a
private copy of the document and returns the PDF bytes, or raises
:class:`PdfConversionError` with a message an operator can act on.

- Every conversion gets its own LibreOffice profile
  (``-env:UserInstallation=file:///tmp/lo-<uuid>``): two conversions sharing a
  profile fail or hand their work to each other. The profile and the working
  directory are removed afterwards, whatever happened.
- The process runs in its own process group and the whole group is killed on
  timeout (``soffice`` is a launcher that starts ``soffice.bin``).
- Success is judged by the output, not the exit code (which is not reliable):
  the PDF must exist and start with ``%PDF``.

The binary is ``$CIA_SOFFICE`` if set, else ``soffice`` on the PATH (Debian:
``libreoffice-writer-nogui``, installed by ``infra/lib.sh``). At most
``$CIA_PDF_CONCURRENCY`` (default 2) conversions run at once in one process;
further callers wait for a slot (the wait does not count against the timeout).
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import threading
import uuid
from pathlib import Path

DEFAULT_TIMEOUT_S = 120
PDF_MAGIC = b"%PDF"

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
    if not docx_bytes:
        raise PdfConversionError("Nothing to convert: the DOCX is empty.")
    binary = soffice or soffice_binary()
    if not binary:
        raise PdfConversionError(
            "LibreOffice (soffice) is not installed; install the Debian package "
            "libreoffice-writer-nogui or set CIA_SOFFICE.")
    with _SLOTS:
        return _convert(docx_bytes, binary, timeout_s)


def _convert(docx_bytes: bytes, binary: str, timeout_s: float) -> bytes:
    workdir = Path(tempfile.mkdtemp(prefix="cia-pdf-"))
    profile = Path(tempfile.gettempdir()) / f"lo-{uuid.uuid4().hex}"
    try:
        source = workdir / "document.docx"
        source.write_bytes(docx_bytes)
        outdir = workdir / "out"
        outdir.mkdir()
        argv = [binary, f"-env:UserInstallation={profile.as_uri()}", "--headless",
                "--invisible", "--nologo", "--nodefault", "--norestore", "--nolockcheck",
                "--convert-to", "pdf", "--outdir", str(outdir), str(source)]
        # HOME inside the working directory: nothing of the service account's is touched.
        env = {**os.environ, "HOME": str(workdir)}
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, cwd=workdir, env=env,
                                    start_new_session=True)
        except OSError as exc:
            raise PdfConversionError(f"Could not start LibreOffice ({binary}): {exc}") from exc
        try:
            output, _ = proc.communicate(timeout=timeout_s)
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            raise PdfConversionError(
                f"LibreOffice did not finish converting within {timeout_s:g} s; "
                "the conversion was stopped.") from None
        finally:
            # The launcher may exit before its children; leave nothing behind.
            _kill_group(proc, only_leftovers=True)
        pdf = outdir / "document.pdf"
        if not pdf.is_file():
            raise PdfConversionError(
                f"LibreOffice produced no PDF (exit code {proc.returncode}): {_tail(output)}")
        data = pdf.read_bytes()
        if not data.startswith(PDF_MAGIC):
            raise PdfConversionError(
                f"LibreOffice wrote a file that is not a PDF ({len(data)} bytes).")
        return data
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


def _tail(output: bytes | None, limit: int = 500) -> str:
    text = (output or b"").decode("utf-8", errors="replace").strip()
    return text[-limit:] if text else "no output"
