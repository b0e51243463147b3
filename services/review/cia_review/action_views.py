"""``GET|POST /review/actions/{token}``: the HTML page behind a signed one-time link.

Every outcome is an HTML page with a status a browser user understands;
nothing here answers with JSON or a trace.
"""
from __future__ import annotations

import logging

from flask import request
from flask_smorest import Blueprint
from sqlalchemy.exc import IntegrityError

from cia_common.events import utcnow

from . import pages, payloads, tokens
from .action_links import LinkRefused, decide_by_link, resolve
from .domain import Decision, PolicyError
from .views import settings, unit_of_work

log = logging.getLogger(__name__)

blp = Blueprint("actions", __name__, url_prefix="/review/actions",
                description="The HTML page behind a signed one-time action link in a "
                            "review notification. The link itself is the credential.")

_HTML_RESPONSES = {
    "200": {"description": "HTML page.", "content": {"text/html": {}}},
    "400": {"description": "The link or the form is not valid (HTML).", "content": {"text/html": {}}},
    "403": {"description": "The link was superseded, or its holder may not decide (HTML).",
            "content": {"text/html": {}}},
    "409": {"description": "A decision was recorded meanwhile (HTML).", "content": {"text/html": {}}},
    "410": {"description": "The link was used, has expired, or the review is closed (HTML).",
            "content": {"text/html": {}}},
}


def _form(review, claims, token: str, *, error: str | None = None, comment: str = "",
          status: int = 200):
    cfg = settings()
    nonce = tokens.new_nonce()
    return pages.decision_form(
        review, reviewer=claims.reviewer_sub, nonce=nonce,
        csrf=tokens.csrf_token(cfg.action_link_secret, token, nonce),
        cia_api=payloads.links(review, cfg)["cia_api"], approvals=payloads.approvals(review),
        error=error, comment=comment, status=status)


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
            return pages.message(refused.status, refused.title, refused.detail)
        return _form(review, claims, token)


@blp.route("/<token>", methods=["POST"])
@blp.doc(security=[], responses=_HTML_RESPONSES, requestBody={"content": {
    "application/x-www-form-urlencoded": {"schema": {
        "type": "object", "required": ["decision", "nonce", "csrf"],
        "properties": {"decision": {"type": "string", "enum": [d.value for d in Decision]},
                       "comment": {"type": "string"}, "nonce": {"type": "string"},
                       "csrf": {"type": "string"}}}}}})
def submit(token):
    """Record the decision chosen on the page; the link is spent with it."""
    cfg = settings()
    now = utcnow()
    decision = request.form.get("decision", "")
    comment = request.form.get("comment", "")
    with unit_of_work() as uow:
        try:
            _row, review, claims = resolve(uow.session, token, cfg, now)
            if not tokens.check_csrf(cfg.action_link_secret, token, request.form.get("nonce"),
                                     request.form.get("csrf")):
                return pages.message(400, "Form expired",
                                     "This form has expired or did not come from this page. "
                                     "Open the link again and choose once more.")
            if decision not in {d.value for d in Decision}:
                return _form(review, claims, token, error="Choose Approve, Request changes or "
                             "Reject.", comment=comment, status=400)
            review = decide_by_link(uow, token, decision, comment, settings=cfg, now=now)
            uow.commit()
        except LinkRefused as refused:
            return pages.message(refused.status, refused.title, refused.detail)
        except PolicyError as refused:
            if refused.status == 422:
                uow.rollback()
                _row, review, claims = resolve(uow.session, token, cfg, now)
                return _form(review, claims, token, error=refused.detail, comment=comment,
                             status=422)
            return pages.message(refused.status, refused.title, refused.detail)
        except IntegrityError:
            return pages.message(409, "Already decided",
                                 "A decision was recorded at the same moment; nothing more "
                                 "is needed from this link.")
    log.info("decision %s on review %s recorded through an action link", decision, review.id)
    return pages.decision_recorded(review, decision)

