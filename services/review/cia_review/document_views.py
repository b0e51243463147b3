"""``GET /review/documents/{signed}``: the reviewed version's DOCX or PDF behind a
signed link on the action page. The link is the credential; every download is
recorded (who, version, format, SHA-256)."""
from __future__ import annotations

import logging

from flask import Response, current_app
from flask_smorest import Blueprint

from cia_common.events import utcnow

from . import authoring_client, document_links, pages
from .views import settings, unit_of_work

log = logging.getLogger(__name__)

blp = Blueprint("documents", __name__, url_prefix="/review/documents",
                description="The reviewed version's document, through a signed, short-lived "
                            "link on the action page. The link itself is the credential.")


@blp.route("/<signed>", methods=["GET"])
@blp.doc(security=[], responses={
    "200": {"description": "The document (DOCX or PDF, as the link says).",
            "content": {media: {"schema": {"type": "string", "format": "binary"}}
                        for media in authoring_client.MEDIA_TYPES.values()}},
    "403": {"description": "The link is altered, expired, for another version, or its "
                           "holder has decided or no longer reviews this round (HTML).",
            "content": {"text/html": {}}},
    "503": {"description": "The document cannot be produced right now; retry after the "
                           "Retry-After delay (HTML).", "content": {"text/html": {}}},
})
def download(signed):
    """The document of the version under review, for the holder of the link."""
    cfg = settings()
    with unit_of_work() as uow:
        try:
            _review, claims = document_links.authorise(uow.session, signed, cfg, utcnow())
        except document_links.DownloadRefused as refused:
            log.info("document link refused: %s", refused.detail)
            return pages.message(403, "Download not available", refused.detail,
                                 next_steps="Open the review link from your notification again; "
                                            "its page has fresh document links while the review "
                                            "is open to you.")
    # Fetched outside any transaction: a PDF conversion takes seconds.
    try:
        doc = authoring_client.fetch_document(
            current_app.config, cfg.authoring_url, cia_id=claims.cia_id, version=claims.version,
            fmt=claims.format, reviewer_sub=claims.reviewer_sub)
    except authoring_client.DocumentUnavailable as exc:
        log.warning("document of CIA %s v%s (%s) unavailable: %s", claims.cia_id,
                    claims.version, claims.format, exc)
        response = pages.message(503, "Document not ready",
                                 "The document could not be produced just now. Try the link "
                                 "again in a little while.")
        response.headers["Retry-After"] = exc.retry_after or "30"
        return response
    with unit_of_work() as uow:
        # Checked again: a decision may have been recorded while the file was fetched.
        try:
            document_links.authorise(uow.session, signed, cfg, utcnow())
        except document_links.DownloadRefused as refused:
            return pages.message(403, "Download not available", refused.detail)
        document_links.record(uow.session, claims, sha256=doc.sha256, size=len(doc.data),
                              now=utcnow())
        uow.commit()
    log.info("reviewer %s downloaded CIA %s v%s as %s (sha256 %s)", claims.reviewer_sub,
             claims.cia_id, claims.version, claims.format, doc.sha256)
    return Response(doc.data, mimetype=doc.media_type, headers={
        "Content-Disposition": f'attachment; filename="{doc.filename}"',
        "X-Content-SHA256": doc.sha256,
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    })
