"""What the authoring views share: roles, the unit of work, the acting user."""
from __future__ import annotations

from flask import current_app, g, request

from cia_common.auth import require_roles
from cia_common.config import events_topic
from cia_common.db import UnitOfWork
from cia_common.errors import PROBLEM_JSON, Problem
from cia_common.web import db

from ..settings import SOURCE
from .schemas import ProblemSchema

# Who may do what (DESIGN §4). FOI officers never see operations or unredacted CIAs.
AUTHORS = ("planner",)
READERS = ("planner", "reviewer", "admin")
DISCLOSURE_READERS = ("foi", "admin")

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def unit_of_work() -> UnitOfWork:
    return db().unit_of_work(source=SOURCE, topic=events_topic(current_app.config))


def actor():
    return g.principal


def cfg() -> dict:
    return current_app.config


def guarded(blp, *roles: str):
    """``require_roles`` (outermost, so 401/403 come before body validation),
    with the roles and the 401/403 answers written into the OpenAPI operation."""
    def decorator(view):
        view = blp.alt_response(401, schema=ProblemSchema, content_type=PROBLEM_JSON,
                                description="No valid bearer token.")(view)
        view = blp.alt_response(403, schema=ProblemSchema, content_type=PROBLEM_JSON,
                                description="The token lacks the role: " + " or ".join(roles) + ".")(view)
        view = blp.doc(**{"x-roles": list(roles)})(view)
        return require_roles(*roles)(view)
    return decorator


def negotiate(offered: list[str], query_format: str | None = None,
              names: dict[str, str] | None = None) -> str:
    """The media type to answer with, one of ``offered``: ``?format=`` first (a name
    in ``names``), then ``Accept``; 406 when neither allows one of them."""
    if query_format:
        media = (names or {}).get(query_format)
    elif not request.accept_mimetypes or request.accept_mimetypes.provided is False:
        media = offered[0]
    else:
        media = request.accept_mimetypes.best_match(offered)
    if media not in offered:
        raise Problem(406, "Not Acceptable", "Available as " + ", ".join(offered) + ".")
    return media
