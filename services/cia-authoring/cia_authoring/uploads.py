"""What an uploaded file (a legacy document, a Word template) may take to read.

A file is hostile until it has been read under limits. Two stages:

- :func:`check_package`, in the calling process and cheap: a zip's central
  directory only (number of parts, their declared expanded size). ``zipfile``
  never inflates more than a part declares, so the declared total bounds every
  later read.
- :func:`check_xml_parts`, in the child process that parses the file
  (``cia_common.limits``): every XML part is streamed and its elements counted
  before any tree is built.

Each limit is a setting (``CIA_UPLOAD_*``); a file over one is refused naming it
(:class:`LimitRefused`, answered 413). The whole parse runs in a child process
within ``UPLOAD_PARSE_SECONDS`` and ``UNTRUSTED_MEMORY_MB``.
"""
from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass, field

from cia_common.errors import DomainError, InvalidContent, TooLarge
from cia_common.limits import MIB, LimitExceeded, Limits

DEFAULTS = {
    "UPLOAD_PARSE_SECONDS": 10.0,
    "UPLOAD_MAX_EXPANDED_BYTES": 128 * MIB,
    "UPLOAD_MAX_PARTS": 2000,
    "UPLOAD_MAX_XML_ELEMENTS": 1_000_000,
    "UPLOAD_MAX_PAGES": 2000,
    "UNTRUSTED_MEMORY_MB": 768,
}


class LimitRefused(ValueError):
    """A file over one of the upload limits; ``limit`` is the setting's name."""

    def __init__(self, limit: str, message: str):
        super().__init__(message)
        self.limit = limit

    def __reduce__(self):  # crosses the pipe from the child that found it
        return (LimitRefused, (self.limit, str(self)))


@dataclass(frozen=True)
class UploadLimits:
    max_expanded_bytes: int = DEFAULTS["UPLOAD_MAX_EXPANDED_BYTES"]
    max_parts: int = DEFAULTS["UPLOAD_MAX_PARTS"]
    max_xml_elements: int = DEFAULTS["UPLOAD_MAX_XML_ELEMENTS"]
    max_pages: int = DEFAULTS["UPLOAD_MAX_PAGES"]
    process: Limits = field(default_factory=lambda: Limits(
        DEFAULTS["UPLOAD_PARSE_SECONDS"], DEFAULTS["UNTRUSTED_MEMORY_MB"] * MIB))


def upload_limits(cfg: dict) -> UploadLimits:
    def value(key: str):
        v = cfg.get(key)
        return DEFAULTS[key] if v is None or v == "" else v

    return UploadLimits(
        max_expanded_bytes=int(value("UPLOAD_MAX_EXPANDED_BYTES")),
        max_parts=int(value("UPLOAD_MAX_PARTS")),
        max_xml_elements=int(value("UPLOAD_MAX_XML_ELEMENTS")),
        max_pages=int(value("UPLOAD_MAX_PAGES")),
        process=Limits(float(value("UPLOAD_PARSE_SECONDS")),
                       int(value("UNTRUSTED_MEMORY_MB")) * MIB))


def _mib(n: int) -> str:
    return f"{n / MIB:,.0f} MiB" if n >= MIB else f"{n:,} bytes"


def check_package(data: bytes, limits: UploadLimits) -> None:
    """A zip's parts and declared expansion within the limits (a file that is not a
    zip passes: its own reader refuses it)."""
    if not data.startswith(b"PK"):
        return
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return  # not readable as a zip: the format check says so
    if len(infos) > limits.max_parts:
        raise LimitRefused("UPLOAD_MAX_PARTS", f"The file holds {len(infos):,} parts; at most "
                                               f"{limits.max_parts:,} are accepted.")
    expanded = sum(i.file_size for i in infos)
    if expanded > limits.max_expanded_bytes:
        raise LimitRefused("UPLOAD_MAX_EXPANDED_BYTES",
                           f"The file expands to {_mib(expanded)}; at most "
                           f"{_mib(limits.max_expanded_bytes)} are accepted.")


def check_xml_parts(data: bytes, limits: UploadLimits) -> None:
    """Every XML part of a zip package has at most ``max_xml_elements`` elements,
    counted while inflating it, before anything builds a tree of it. Counted as
    start tags (a ``<`` not opening an end tag, a declaration or a comment), at
    the speed of ``bytes.count``: a comment or CDATA holding ``<`` counts too,
    which errs on the side of refusing."""
    check_package(data, limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError):
        return
    for info in zf.infolist():
        name = info.filename.lower()
        if not (name.endswith(".xml") or name.endswith(".rels") or name.endswith(".vml")):
            continue
        try:
            count = _start_tags(zf, info, limits.max_xml_elements)
        except (zipfile.BadZipFile, OSError, EOFError, zlib.error):
            continue  # damaged: the reader that needs the part refuses the file
        if count > limits.max_xml_elements:
            raise LimitRefused("UPLOAD_MAX_XML_ELEMENTS",
                               f"The part {info.filename[:100]} holds more than "
                               f"{limits.max_xml_elements:,} XML elements.")


def _start_tags(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int,
                chunk_size: int = 1 << 20) -> int:
    count, previous = 0, b""
    with zf.open(info) as part:
        while count <= limit:
            chunk = part.read(chunk_size)
            if not chunk:
                break
            count += chunk.count(b"<") - chunk.count(b"</") - chunk.count(b"<?") \
                - chunk.count(b"<!")
            if previous == b"<" and chunk[:1] in (b"/", b"?", b"!"):
                count -= 1  # a tag split between two chunks
            previous = chunk[-1:]
    return count


def refusal(exc: LimitRefused | LimitExceeded) -> DomainError:
    """The answer to a file stopped at a limit: 413 for size and memory, 422 for time,
    naming the setting."""
    if isinstance(exc, LimitExceeded):
        limit = "UPLOAD_PARSE_SECONDS" if exc.limit == "seconds" else "UNTRUSTED_MEMORY_MB"
        detail = f"Reading the file was stopped at the limit CIA_{limit}: {exc}."
    else:
        limit, detail = exc.limit, str(exc)
    errors = [{"pointer": "/file", "location": "body", "code": "limit", "limit": f"CIA_{limit}",
               "detail": detail}]
    if limit == "UPLOAD_PARSE_SECONDS":
        return InvalidContent(errors, detail)
    return TooLarge(detail, errors=errors)
