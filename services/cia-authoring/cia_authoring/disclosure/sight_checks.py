"""The check by sight before release: an FOI-facing file read back the way its
reader meets it.

A disclosure copy's DOCX as LibreOffice renders it (its stored PDF, the same
rendering the FOI team downloads), a response letter, a legacy document's rebuilt
copy: each page is rendered and read back by OCR, and the redactor of the output
(detectors, name register, the values it withholds, censor rules, terms) reads the
words (``cia_redaction.sight``). A hit blocks the release or the send (409 naming the
page and the kind of hit, never the value) and lists the page under
``needs_manual_review``; an FOI officer looks at its preview, where the hit is boxed,
and confirms it as they confirm a scanned page.

The reading runs in the worker (``CheckCopies`` here; the letters' and legacy
documents' jobs call ``check_file`` too), never in a request: it takes seconds a page.
It is kept cheap: pages are rendered in grayscale at ``SIGHT_DPI`` and read in bands
(``cia_redaction.bands``) known by the hash of their pixels; what OCR read of a band is
kept (``SightBand``, with a bounded cache in each process in front), so a line read
once (the boilerplate every copy of a template repeats, a paragraph unchanged by an
amendment) is never read again; the pages with new bands are read side by side, one
Tesseract per core, each step in a child process bounded in time and memory.

A check is stored by the SHA-256 of the file it read, with the fingerprint of what its
redactor was made from (``inputs``: the censor rules and the resolution), so a release
finds the check of exactly the file it releases, and a rule change has it made again.
"""
from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.orm import Session

from cia_common.db import Database
from cia_common.errors import Conflict, NotFound
from cia_common.events import utcnow
from cia_common.limits import Limits, run_limited
from cia_common.lru import LRU
from cia_redaction import docx as docx_pass
from cia_redaction import rules as censor
from cia_redaction import bands, sight
from cia_redaction.redactor import Redactor

from cia_authoring import uploads
from cia_authoring.cias import audit
from cia_authoring.cias.models import Document
from cia_authoring.disclosure import censor_rules as rules_service
from cia_authoring.disclosure import redactors, register, withheld_index
from cia_authoring.disclosure.models import (CHECKING, CLEAN, FAILED, HITS, DisclosureCopy,
                                             SightCheck, SightBand)
from cia_authoring.documents import pdfs
from cia_authoring.documents import service as rendering
from cia_authoring.documents.libreoffice import PdfConversionError

log = logging.getLogger(__name__)

CIA_COPY, LETTER, LEGACY = "cia_copy", "letter", "legacy"
# One per process: what OCR read of the page images this process has met.
CACHE: LRU[str, list] = LRU(8192)


def dpi(cfg: dict) -> int:
    return int(cfg.get("SIGHT_DPI") or sight.CHECK_DPI)


def limits(cfg: dict) -> Limits:
    return Limits(float(cfg.get("SIGHT_SECONDS") or 300),
                  uploads.upload_limits(cfg).process.memory_bytes)


def fingerprint(rules: list[censor.Rule], cfg: dict, *extra) -> str:
    """What a check's redactor is made from, beyond the file itself: the censor rules
    (and terms), the resolution read at, anything else the caller names."""
    body = json.dumps([censor.fingerprint(rules), dpi(cfg), *extra], separators=(",", ":"),
                      default=str)
    return hashlib.sha256(body.encode()).hexdigest()


# -- reading -----------------------------------------------------------------------------
def current(session: Session, sha256: str, inputs_sha256: str) -> SightCheck | None:
    row = session.get(SightCheck, sha256, populate_existing=True)
    return row if row is not None and row.inputs_sha256 == inputs_sha256 else None


def present(row: SightCheck | None) -> dict:
    """The check as the API shows it: state, progress, the pages to look at and what
    was found on them (kinds, never values)."""
    if row is None:
        return {"state": CHECKING, "progress": {"done": 0, "pages": None},
                "needs_manual_review": [], "findings": []}
    return {"state": row.state,
            "progress": {"done": row.pages_done or 0, "pages": row.pages},
            "needs_manual_review": row.needs_manual_review if row.state == HITS else [],
            "findings": [{"page": f["page"], "kind": f["kind"], "exemption": f["exemption"]}
                         for f in row.findings or []],
            "checked_at": row.checked_at}


def _kinds(row: SightCheck) -> list[dict]:
    pages: dict[int, set[str]] = {}
    for f in row.findings or []:
        pages.setdefault(int(f["page"]), set()).add(f["kind"])
    return [{"page": p, "kinds": sorted(pages[p])} for p in row.needs_manual_review]


def gate(session: Session, sha256: str, inputs_sha256: str, what: str, preview: str) -> None:
    """Refuse (409) the release or send of a file not checked by sight, or whose
    reading found what the pass withholds on a page no FOI officer has confirmed.
    ``preview`` is the address of a page's preview, with ``{n}`` for its number."""
    row = current(session, sha256, inputs_sha256)
    if row is None or row.state == CHECKING:
        done, pages = (row.pages_done or 0, row.pages) if row is not None else (0, None)
        raise Conflict(f"{what} is being checked by sight (its pages rendered and read back "
                       f"by OCR: {done} of {pages or '?'} pages); ask again shortly.",
                       state=CHECKING, progress={"done": done, "pages": pages}, retry_after=5)
    if row.state == FAILED:
        raise Conflict(f"{what} could not be checked by sight yet; the worker tries again.",
                       state=FAILED, retry_after=60)
    pending = _kinds(row)
    if pending:
        where = "; ".join(f"page {p['page']}: {', '.join(p['kinds'])}" for p in pending)
        raise Conflict(f"Reading {what} as its reader sees it found what the redaction "
                       f"withholds ({where}). Look at each page's preview "
                       f"({preview.format(n=pending[0]['page'])}), where the hit is boxed, and "
                       "confirm it, or correct the source.", state="needs_manual_review",
                       needs_manual_review=pending)


def want(sessions, cia_id: str, number: int) -> None:
    """Ask the worker to read a copy whose release was asked for (with ``SIGHT_AHEAD``
    off it reads only those): a check under way, under no inputs yet."""
    with sessions() as session:
        docx = rendering.stored(session, cia_id, number, rendering.DISCLOSURE,
                                rendering.DOCX_FORMAT)
        if docx is None or session.get(SightCheck, docx.sha256) is not None:
            return
        session.add(SightCheck(sha256=docx.sha256, subject=CIA_COPY,
                               subject_id=f"{cia_id}/{number}", inputs_sha256="",
                               state=CHECKING, findings=[], previewed_pages={},
                               confirmed_pages={}, updated_at=utcnow()))
        try:
            session.commit()
        except sa.exc.IntegrityError:  # asked for twice at once
            session.rollback()


def wait_for_copy(sessions, cia_id: str, number: int, cfg: dict) -> bool:
    """Wait up to ``SIGHT_WAIT_SECONDS`` for the worker to finish reading a copy (a
    release asked for right after the copy was made); whether it did."""
    deadline = time.monotonic() + float(cfg.get("SIGHT_WAIT_SECONDS") or 0)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        with sessions() as session:
            row = copy_check(session, cia_id, number, cfg)
            if row is not None and row.state != CHECKING:
                return True
    return False


def preview_of(data: bytes, found: list[dict], number: int, cfg: dict) -> bytes:
    """Page ``number`` of the rendering read, with the check's hits (``found``, as
    stored) boxed in red."""
    findings = [sight.Finding(int(f["page"]), f["kind"], f["exemption"], "",
                              tuple(tuple(r) for r in f["rects"])) for f in found]
    return run_limited(sight.marked_page, data, number, findings, limits=limits(cfg),
                       passthrough=(IndexError,))


def record_preview(session: Session, sha256: str, number: int) -> None:
    row = session.get(SightCheck, sha256, with_for_update=True)
    if row is not None:
        row.previewed_pages = {**(row.previewed_pages or {}), str(number): row.sha256}


def confirm(session: Session, sha256: str, inputs_sha256: str, number: int, preview: str
            ) -> SightCheck:
    """An FOI officer confirms a page whose reading found a hit, after its preview."""
    row = session.get(SightCheck, sha256, with_for_update=True, populate_existing=True)
    if row is None or row.inputs_sha256 != inputs_sha256 or row.state == CHECKING:
        raise Conflict("The file is still being checked by sight; ask again shortly.",
                       state=CHECKING)
    if number not in row.hit_pages:
        raise Conflict(f"Page {number}: its reading found nothing the redaction withholds; only "
                       "the pages listed in needs_manual_review need confirming.",
                       needs_manual_review=row.needs_manual_review)
    if (row.previewed_pages or {}).get(str(number)) != row.sha256:
        raise Conflict(f"Look at the preview of page {number} first ({preview.format(n=number)}).")
    row.confirmed_pages = {**(row.confirmed_pages or {}), str(number): row.sha256}
    row.updated_at = utcnow()
    return row


# -- the work (in the worker) -------------------------------------------------------------
def _cached(db: Database, keys: list[str]) -> dict[str, list]:
    found = {k: w for k in keys if (w := CACHE.get(k)) is not None}
    missing = [k for k in dict.fromkeys(keys) if k not in found]
    if missing:
        with db.sessions() as session:
            for row in session.execute(sa.select(SightBand).where(SightBand.key.in_(missing))
                                       ).scalars():
                words = bands.words_from_json(row.words)
                CACHE.put(row.key, words)
                found[row.key] = words
    return found


def _keep(db: Database, read: dict[str, list]) -> None:
    for key, words in read.items():
        CACHE.put(key, words)
    with db.sessions() as session:
        known = set(session.scalars(sa.select(SightBand.key).where(SightBand.key.in_(list(read)))))
        for key, words in read.items():
            if key not in known:
                session.add(SightBand(key=key, words=bands.words_to_json(words), created_at=utcnow()))
        try:
            session.commit()
        except sa.exc.IntegrityError:  # another worker kept the same band meanwhile
            session.rollback()


def read_pages(db: Database, cfg: dict, pdf: bytes,
               progress: Callable[[int, int], None] | None = None) -> list[list]:
    """The OCR words of every page of ``pdf``: its known bands from the cache, the
    others read, a page's new bands as one image, as many pages at once as there are
    cores, each step in a limited child."""
    at = dpi(cfg)
    pages = run_limited(bands.page_bands, pdf, at, limits=limits(cfg))
    known = _cached(db, [b.key for page in pages for b in page])
    todo = [i for i, page in enumerate(pages) if any(b.key not in known for b in page)]
    done = len(pages) - len(todo)
    if progress is not None:
        progress(done, len(pages))
    step = bands.workers()
    for start in range(0, len(todo), step):
        wanted = {i: [b for b in pages[i] if b.key not in known] for i in todo[start:start + step]}
        read = run_limited(bands.read_bands, pdf, wanted, at, limits=limits(cfg))
        _keep(db, read)
        known.update(read)
        done += len(wanted)
        if progress is not None:
            progress(done, len(pages))
    return [bands.page_words(page, known, at) for page in pages]


@dataclass(frozen=True)
class Subject:
    kind: str  # cia_copy | letter | legacy
    subject_id: str
    sha256: str  # the file checked
    inputs_sha256: str


def _start(db: Database, subject: Subject) -> bool:
    """Record that the check of ``subject`` is under way; False if it is done already."""
    with db.sessions() as session:
        row = session.get(SightCheck, subject.sha256, with_for_update=True)
        if row is not None and row.inputs_sha256 == subject.inputs_sha256 \
                and row.state in (CLEAN, HITS):
            return False
        if row is None:
            row = SightCheck(sha256=subject.sha256, findings=[], previewed_pages={},
                             confirmed_pages={})
            session.add(row)
        row.subject, row.subject_id = subject.kind, subject.subject_id
        row.inputs_sha256, row.state, row.pages_done = subject.inputs_sha256, CHECKING, 0
        row.error, row.updated_at = None, utcnow()
        try:
            session.commit()
        except sa.exc.IntegrityError:  # another worker started it meanwhile
            session.rollback()
            return False
    return True


def _progress(db: Database, subject: Subject) -> Callable[[int, int], None]:
    def store(done: int, pages: int) -> None:
        with db.sessions() as session:
            session.execute(sa.update(SightCheck).where(SightCheck.sha256 == subject.sha256)
                            .values(pages_done=done, pages=pages, updated_at=utcnow()))
            session.commit()
    return store


def check_file(db: Database, cfg: dict, subject: Subject, pdf: bytes, said: str,
               redactor: Redactor) -> SightCheck | None:
    """Read ``pdf`` (the rendering of the file ``subject`` names) by sight and store the
    check; ``said`` is the file's own text (a detector's hit on it is excused)."""
    if not _start(db, subject):
        return None
    try:
        pages = read_pages(db, cfg, pdf, _progress(db, subject))
        result = sight.check_words(redactor, pages, said)
    except Exception as exc:  # noqa: BLE001 - stored as failed; the worker tries again
        log.error("the check by sight of %s %s failed (%s)", subject.kind, subject.subject_id,
                  type(exc).__name__)
        with db.sessions() as session:
            session.execute(sa.update(SightCheck).where(SightCheck.sha256 == subject.sha256)
                            .values(state=FAILED, error=type(exc).__name__, updated_at=utcnow()))
            session.commit()
        return None
    with db.sessions() as session:
        row = session.get(SightCheck, subject.sha256, with_for_update=True)
        if row is None or row.inputs_sha256 != subject.inputs_sha256:
            return None  # asked again under other inputs meanwhile
        row.state = HITS if result.findings else CLEAN
        row.pages = row.pages_done = result.pages
        row.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        row.findings = [{"page": f.page, "kind": f.kind, "exemption": f.exemption,
                         "rects": [[round(v, 1) for v in r] for r in f.rects]}
                        for f in result.findings]
        row.checked_at = row.updated_at = utcnow()
        session.commit()
        session.refresh(row)
        if result.findings:
            log.warning("the check by sight of %s %s found %d hit(s) on page(s) %s",
                        subject.kind, subject.subject_id, len(result.findings),
                        result.pages_with_hits)
        return row


# -- disclosure copies ---------------------------------------------------------------------
def copy_inputs(session: Session, cia_id: str, cfg: dict) -> str:
    return fingerprint(rules_service.applicable(session, cia_id), cfg)


def copy_redactor(session: Session, cia_id: str, number: int, cfg: dict) -> Redactor:
    """The redactor the copy was made with: the values it withholds, the register, its
    censor rules and the detectors."""
    return redactors.redactor_for(
        cfg, withheld=withheld_index.load(session, copy=(cia_id, number)),
        register=register.names(session), rules=rules_service.applicable(session, cia_id))


def copy_preview_url(cia_id: str, number: int) -> str:
    return f"/api/v1/disclosures/{cia_id}/versions/{number}/pages/{{n}}.png"


def unchecked_copies(session: Session, cfg: dict, limit: int = 20) -> list[Subject]:
    """Disclosure copies whose DOCX has no check under the rules that apply now (a
    copy waiting to be rendered again under new rules is checked once it is); with
    ``SIGHT_AHEAD`` off, only those whose release was asked for (``want``) or that
    were read before."""
    ahead = cfg.get("SIGHT_AHEAD", True)
    rule_sets = rules_service.applicable_to_all(session)
    everyone = fingerprint(rule_sets(None), cfg)
    # Only rows that may need a check leave the database: no check yet, one not
    # finished, or one made under other inputs. A CIA without rules of its own has
    # the global set's inputs, so the comparison is exact; a CIA with its own is
    # compared below. The rest of the archive (checked, clean) is never read, so a
    # sweep every few seconds costs the same with ten copies or a hundred thousand.
    may_need = sa.or_(SightCheck.sha256.is_(None), SightCheck.state.in_((CHECKING, FAILED)),
                      SightCheck.inputs_sha256 != everyone)
    if rule_sets.owners:
        may_need = sa.or_(may_need, Document.cia_id.in_(rule_sets.owners))
    query = (
        sa.select(Document.cia_id, Document.version, Document.sha256,
                  SightCheck.inputs_sha256, SightCheck.state, DisclosureCopy.rules_fingerprint)
        .outerjoin(SightCheck, SightCheck.sha256 == Document.sha256)
        .outerjoin(DisclosureCopy, sa.and_(DisclosureCopy.cia_id == Document.cia_id,
                                           DisclosureCopy.version == Document.version))
        .where(Document.kind == rendering.DISCLOSURE, Document.format == rendering.DOCX_FORMAT,
               may_need)
        .order_by(Document.created_at))
    if not ahead:
        query = query.where(SightCheck.sha256.is_not(None))
    wanted: dict[str, tuple[str, str]] = {}  # cia id -> (rules fingerprint, check inputs)
    out = []
    for r in session.execute(query):
        if r.cia_id not in wanted:
            rules = rule_sets(r.cia_id)
            wanted[r.cia_id] = (censor.fingerprint(rules), fingerprint(rules, cfg))
        rules_now, inputs = wanted[r.cia_id]
        if r.rules_fingerprint != rules_now:
            continue
        if r.inputs_sha256 != inputs or r.state in (None, CHECKING, FAILED):
            out.append(Subject(CIA_COPY, f"{r.cia_id}/{r.version}", r.sha256, inputs))
            if len(out) >= limit:
                break
    return out


def check_copy(db: Database, cfg: dict, subject: Subject) -> SightCheck | None:
    """Check one disclosure copy: its PDF (converted from the DOCX first if the PDF job
    has not yet), read by sight under the copy's redactor."""
    cia_id, number = subject.subject_id.rsplit("/", 1)
    number = int(number)

    def uow():
        from cia_authoring import settings  # noqa: PLC0415 - the root module, at call time
        return settings.unit_of_work(db, cfg)

    stored = pdfs.ensure(uow, pdfs.DocKey(cia_id, number, rendering.DISCLOSURE), audit.SYSTEM, cfg)
    with db.sessions() as session:
        docx = rendering.stored(session, cia_id, number, rendering.DISCLOSURE,
                                rendering.DOCX_FORMAT)
        if stored is None or docx is None or docx.sha256 != subject.sha256:
            return None  # rendered again meanwhile: the next call checks the new one
        redactor = copy_redactor(session, cia_id, number, cfg)
        said = docx_pass.said(docx.data)
    return check_file(db, cfg, subject, stored.data, said, redactor)


class CheckCopies:
    """The worker's periodic job: check by sight one disclosure copy per call."""
    IDLE_S = 2.0
    RETRY_S = 60.0

    def __init__(self) -> None:
        self.__name__ = "check_copies_by_sight"
        self.failed: dict[str, float] = {}  # sha256 -> retry at (monotonic)

    def __call__(self, db: Database, cfg: dict) -> float:
        now = time.monotonic()
        with db.sessions() as session:
            due = [s for s in unchecked_copies(session, cfg) if self.failed.get(s.sha256, 0) <= now]
        if not due:
            return self.IDLE_S
        subject = due[0]
        try:
            check_copy(db, cfg, subject)
        except PdfConversionError as exc:
            log.warning("disclosure copy %s: no PDF to check yet (%s)", subject.subject_id, exc)
        with db.sessions() as session:
            row = session.get(SightCheck, subject.sha256)
            if row is None or row.state in (CHECKING, FAILED):
                self.failed[subject.sha256] = now + self.RETRY_S
        return 0.01 if len(due) > 1 else self.IDLE_S


def copy_check(session: Session, cia_id: str, number: int, cfg: dict) -> SightCheck | None:
    """The check of the stored copy under the rules in force, if made."""
    docx = rendering.stored(session, cia_id, number, rendering.DISCLOSURE, rendering.DOCX_FORMAT)
    if docx is None:
        return None
    return current(session, docx.sha256, copy_inputs(session, cia_id, cfg))


def copy_preview(unit_of_work, cia_id: str, number: int, page: int, cfg: dict) -> bytes:
    """Page ``page`` of the copy's PDF (the rendering read), its hits boxed; recorded as
    looked at, so that the page can be confirmed."""
    with unit_of_work() as uow:
        pdf = rendering.stored(uow.session, cia_id, number, rendering.DISCLOSURE,
                               rendering.PDF_FORMAT)
        docx = rendering.stored(uow.session, cia_id, number, rendering.DISCLOSURE,
                                rendering.DOCX_FORMAT)
        if docx is None:
            raise NotFound(f"A disclosure copy of version {number} of CIA {cia_id}")
        if pdf is None:
            raise Conflict("The copy's PDF is not made yet; it is read by sight once it is.",
                           state=CHECKING, retry_after=10)
        row = copy_check(uow.session, cia_id, number, cfg)
        data, sha = pdf.data, docx.sha256
        found = list(row.findings or []) if row is not None else []
    try:
        png = preview_of(data, found, page, cfg)
    except IndexError:
        raise NotFound(f"Page {page} of the disclosure copy") from None
    with unit_of_work() as uow:
        record_preview(uow.session, sha, page)
        uow.commit()
    return png


def confirm_copy_page(session: Session, cia_id: str, number: int, page: int, cfg: dict) -> None:
    docx = rendering.stored(session, cia_id, number, rendering.DISCLOSURE, rendering.DOCX_FORMAT)
    if docx is None:
        raise NotFound(f"A disclosure copy of version {number} of CIA {cia_id}")
    confirm(session, docx.sha256, copy_inputs(session, cia_id, cfg), page,
            copy_preview_url(cia_id, number))
