"""What an uploaded file is, by its content (never its name), and why one is refused.

A DOCX is a zip holding ``[Content_Types].xml`` and a WordprocessingML main
document; a macro-enabled one (``vbaProject``, the macro-enabled content type)
is refused, as is an encrypted one (an OLE container, which is also what a
legacy ``.doc`` is). A PDF starts with ``%PDF-`` (within the first kilobyte,
as readers accept) and must open without a password, with a page tree that
holds the pages it claims and no more than the page limit.

The file is read under the upload limits (``cia_authoring.uploads``): parts,
expansion and XML elements are counted before any part is parsed, and the
caller runs ``check`` in a child process bounded in time and memory.
"""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from lxml import etree

from cia_authoring import uploads
from cia_redaction import pdf as pdf_redaction
from cia_authoring.legacy.models import DOCX, PDF

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_MACRO_TYPES = ("application/vnd.ms-word.document.macroEnabled.main+xml",
                "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",
                "application/vnd.ms-office.vbaProject")
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"
# No entities, no network: a part is data, never instructions to the parser.
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True)


class Refused(ValueError):
    """The file cannot be brought in; the message says why, for the person uploading it."""


@dataclass(frozen=True)
class Checked:
    format: str
    pages: int | None


def check(data: bytes, limits: uploads.UploadLimits = uploads.UploadLimits()) -> Checked:
    """The file's format and page count, or ``Refused`` (``uploads.LimitRefused`` for a
    file over a limit)."""
    if not data:
        raise Refused("The file is empty.")
    if data.startswith(_OLE):
        raise Refused("The file is a password-protected Word document or an old binary .doc; "
                      "save it as an unprotected .docx (or PDF) and upload that.")
    if data.startswith(b"PK"):
        uploads.check_xml_parts(data, limits)
        _check_docx(data)
        return Checked(DOCX, None)
    if b"%PDF-" in data[:1024]:
        try:
            return Checked(PDF, pdf_redaction.page_count(data, max_pages=limits.max_pages))
        except pdf_redaction.PageLimit as exc:
            raise uploads.LimitRefused("UPLOAD_MAX_PAGES", str(exc)) from None
        except pdf_redaction.PdfRefused as exc:
            raise Refused(str(exc)) from None
    raise Refused("The file is neither a Word document (.docx) nor a PDF, whatever its name.")


_OFFICE_DOCUMENT = "/officeDocument"
_PR = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"


def _main_part(zf: zipfile.ZipFile, names: set[str]) -> str | None:
    if "_rels/.rels" not in names:
        return None
    rels = etree.fromstring(zf.read("_rels/.rels"), _PARSER)
    for rel in rels.iter(_PR):
        if rel.get("Type", "").endswith(_OFFICE_DOCUMENT) and rel.get("TargetMode") != "External":
            target = rel.get("Target", "").lstrip("/")
            return target if target in names else None
    return None


def _check_docx(data: bytes) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        names = set(zf.namelist())
        if "[Content_Types].xml" not in names:
            raise Refused("The file is a zip archive, not a Word document.")
        types = etree.fromstring(zf.read("[Content_Types].xml"), _PARSER)
        content_types = {el.get("ContentType", "") for el in types.iter(f"{_CT}Override", f"{_CT}Default")}
        if any(t in content_types for t in _MACRO_TYPES) or any(n.lower().endswith("vbaproject.bin")
                                                                for n in names):
            raise Refused("The document is macro-enabled (it holds a VBA project); save it as a "
                          "plain .docx without macros and upload that.")
        # The main document is the part the package's relationships name, whatever
        # its part is called (never found by a name: a decoy can have that name).
        main = _main_part(zf, names)
        if _MAIN not in content_types or main is None:
            raise Refused("The file is an Office zip but not a Word document (.docx).")
        for name in names:
            if name.endswith(".xml") or name.endswith(".rels"):
                etree.fromstring(zf.read(name), _PARSER)
        if zf.testzip() is not None:
            raise Refused("The Word document is corrupt (a damaged part).")
    except Refused:
        raise
    except (zipfile.BadZipFile, etree.XMLSyntaxError, KeyError, ValueError, OSError, EOFError) as exc:
        raise Refused(f"The Word document is corrupt and cannot be read ({type(exc).__name__}).") from None
