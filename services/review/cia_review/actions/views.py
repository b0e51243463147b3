"""The HTML pages behind the signed links of a review notification.

``GET|POST /review/actions/{token}``: the HTML page behind a signed one-time link.
Every outcome is an HTML page with a status a browser user understands;
nothing here answers with JSON or a trace.

``GET /review/documents/{signed}``: the reviewed version's DOCX or PDF behind a
signed link on the action page. The link is the credential; every download is
recorded (who, version, format, SHA-256).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from urllib.parse import urlsplit

from flask import Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from cia_common.events import utcnow
from cia_common.web.problems import STATUS, status_of
from cia_schemas.content import SECTION_TITLES, SECTIONS

from ..reviews import payloads
from ..reviews import service as services
from ..reviews.policy import Decision, PolicyError
from ..reviews.views import settings, unit_of_work
from . import authoring_client, document_links, pages, tokens
from .links import LinkRefused, decide_by_link, resolve

log = logging.getLogger(__name__)

blp = Blueprint("actions", __name__, url_prefix="/review/actions",
                description="The HTML page behind a signed one-time action link in a "
                            "review notification. The link itself is the credential.")

_HTML_RESPONSES = {
    "200": {"description": "HTML page.", "content": {"text/html": {}}},
    "400": {"description": "The link or the form is not valid (HTML).", "content": {"text/html": {}}},
    "403": {"description": "The link was superseded, its holder may not decide, or the form "
                           "was posted from another site (HTML).",
            "content": {"text/html": {}}},
    "409": {"description": "A decision was recorded meanwhile (HTML).", "content": {"text/html": {}}},
    "410": {"description": "The link was used, has expired, or the review is closed (HTML).",
            "content": {"text/html": {}}},
}


def _form(session, review, claims, token: str, *, error: str | None = None, comment: str = "",
          section_comments: dict[str, str] | None = None, status: int = 200):
    cfg = settings()
    nonce = tokens.new_nonce()
    links = payloads.links(review, cfg)
    if authoring_client.can_fetch(current_app.config):
        links.update({f"document_{fmt}": url for fmt, url in
                      document_links.urls(review, claims, cfg, utcnow()).items()})
    else:
        links["cia_document"] = payloads.document_url(review, cfg)
    summary = pages.summary(review, links=links, approvals=payloads.approvals(review),
                            earlier=services.earlier_rounds(session, review),
                            baseline=services.baseline(session, review))
    return pages.decision_form(
        summary, reviewer=claims.reviewer_sub, nonce=nonce,
        csrf=tokens.csrf_token(cfg.action_link_secret, token, nonce),
        expires_at=datetime.fromtimestamp(claims.expires_at, timezone.utc),
        error=error, comment=comment, section_comments=section_comments, status=status)


def _section_comments() -> dict[str, str]:
    """The non-empty per-section comments posted with the form, {section: comment}."""
    out = {}
    for key in SECTIONS:
        text = (request.form.get(f"section_comment.{key}") or "").strip()
        if text:
            out[key] = text
    return out


def _form_error(decision: str, comment: str, section_comments: dict[str, str]) -> str | None:
    """What is wrong with the posted form, in words for the page; None when it is complete."""
    if decision not in {d.value for d in Decision}:
        return "Choose Approve, Request changes or Reject."
    if decision in (Decision.REQUEST_CHANGES.value, Decision.REJECT.value) and not comment.strip():
        return ("Requesting changes or rejecting needs a comment: say what has to change, "
                "or why the CIA cannot be approved.")
    if len(comment) > 20_000:
        return "The comment is too long (at most 20,000 characters)."
    long = [SECTION_TITLES[k] for k, text in section_comments.items() if len(text) > 10_000]
    if long:
        return f"A section comment is too long (at most 10,000 characters): {', '.join(long)}."
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def cross_site_post() -> bool:
    """Did the browser say this form was posted from another site?

    Beside the form's CSRF token: browsers send ``Sec-Fetch-Site``, and an
    ``Origin`` unless the referrer policy (ours is ``no-referrer``) makes it
    ``null``. A missing header proves nothing (non-browser clients), so only a
    header naming another site refuses the post.
    """
    if request.headers.get("Sec-Fetch-Site", "").lower() in ("cross-site", "same-site"):
        return True
    origin = (request.headers.get("Origin") or "").strip().lower()
    if not origin or origin == "null":
        return False
    return origin not in {_origin(request.host_url), _origin(settings().review_url)}


@blp.route("/<token>", methods=["GET"])
@blp.doc(security=[], responses=_HTML_RESPONSES)
def show(token):
    """A summary of the CIA under review with Approve / Request changes / Reject.

    Opening the page does not spend the link (mail scanners open links too).
    """
    with unit_of_work() as uow:
        try:
            _row, review, claims = resolve(uow.session, token, settings(), utcnow())
        except LinkRefused as refused:
            return pages.message(status_of(refused), refused.title, refused.detail)
        return _form(uow.session, review, claims, token)


@blp.route("/<token>", methods=["POST"])
@blp.doc(security=[], responses=_HTML_RESPONSES, requestBody={"content": {
    "application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["decision", "nonce", "csrf"],
        "properties": {"decision": {"type": "string", "enum": [d.value for d in Decision]},
                       "comment": {"type": "string"}, "nonce": {"type": "string"},
                       "section_comment.<section>": {
                           "type": "string",
                           "description": "A comment on one CIA section (e.g. "
                                          "section_comment.deployment)."},
                       "csrf": {"type": "string"}}}}}})
def submit(token):
    """Record the decision chosen on the page; the link is spent with it."""
    cfg = settings()
    now = utcnow()
    decision = request.form.get("decision", "")
    comment = request.form.get("comment", "")
    section_comments = _section_comments()
    if cross_site_post():
        log.warning("action link form posted from another site (Origin %s) refused",
                    request.headers.get("Origin"))
        return pages.message(403, "Form refused",
                             "This form was sent from another website, so it was not accepted. "
                             "Open the link from your notification and choose there.")
    with unit_of_work() as uow:
        try:
            _row, review, claims = resolve(uow.session, token, cfg, now)
            if not tokens.check_csrf(cfg.action_link_secret, token, request.form.get("nonce"),
                                     request.form.get("csrf")):
                return pages.message(400, "Form expired",
                                     "This form has expired or did not come from this page. "
                                     "Open the link again and choose once more.")
            error = _form_error(decision, comment, section_comments)
            if error:
                status = 400 if decision not in {d.value for d in Decision} else 422
                return _form(uow.session, review, claims, token, error=error, comment=comment,
                             section_comments=section_comments, status=status)
            review = decide_by_link(uow, token, decision, comment, settings=cfg, now=now,
                                    section_comments=[{"section": k, "comment": v}
                                                      for k, v in section_comments.items()])
            uow.commit()
        except LinkRefused as refused:
            return pages.message(status_of(refused), refused.title, refused.detail)
        except PolicyError as refused:
            if refused.kind == "unprocessable":
                uow.rollback()
                _row, review, claims = resolve(uow.session, token, cfg, now)
                return _form(uow.session, review, claims, token, error=refused.detail,
                             comment=comment, section_comments=section_comments, status=422)
            return pages.message(*STATUS[refused.kind], refused.detail)
        except IntegrityError:
            return pages.message(409, "Already decided",
                                 "A decision was recorded at the same moment; nothing more "
                                 "is needed from this link.")
    log.info("decision %s on review %s recorded through an action link", decision, review.id)
    return pages.decision_recorded(review, decision)


# --------------------------------------------------------------------------
# The reviewed version's document, behind a signed link on the action page
# --------------------------------------------------------------------------

documents_blp = Blueprint("documents", __name__, url_prefix="/review/documents",
                description="The reviewed version's document, through a signed, short-lived "
                            "link on the action page. The link itself is the credential.")


@documents_blp.route("/<signed>", methods=["GET"])
@documents_blp.doc(security=[], responses={
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
