"""What every service's views share: the acting user, the unit of work, role
guards documented in OpenAPI, content negotiation, the parsed ``If-Match``
header and the OpenAPI description of binary answers."""
from __future__ import annotations

from flask import Response, current_app, g, request

from cia_schemas.errors import ProblemSchema

from ..auth import Principal
from ..db import UnitOfWork
from ..settings import ServiceSettings
from ..etags import IfMatch, parse_if_match
from .auth import require_roles
from .problems import PROBLEM_JSON, Problem


def actor() -> Principal:
    return g.principal


def cfg() -> dict:
    """The service's configuration (the app's)."""
    return current_app.config


def service_settings() -> ServiceSettings:
    return current_app.extensions["cia_settings"]


def unit_of_work() -> UnitOfWork:
    """A unit of work of this service: its events, and its own record of each change."""
    return service_settings().unit_of_work(current_app.extensions["cia_db"])


def if_match() -> IfMatch | None:
    """The request's ``If-Match``, parsed; ``None`` when absent or blank."""
    return parse_if_match(request.headers.get("If-Match"))


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


# What a problem answer means, for the OpenAPI; an endpoint may say more.
PROBLEM_TEXTS = {401: "No or invalid bearer token.", 403: "The token lacks the role.",
                 404: "No such resource.", 409: "Conflict with the current state.",
                 422: "Invalid fields, each named by a JSON pointer."}


def problems(blp, *codes: int, texts: dict[int, str] | None = None):
    """Document the problem+json answers an endpoint can give."""
    described = {**PROBLEM_TEXTS, **(texts or {})}

    def decorator(view):
        for code in codes:
            view = blp.alt_response(code, schema=ProblemSchema, description=described[code],
                                    content_type=PROBLEM_JSON)(view)
        return view
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


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
CSV = "text/csv"
PNG = "image/png"
REF = "#/components/schemas/"
BINARY = {"type": "string", "format": "binary"}


def inline_png(png: bytes, filename: str) -> Response:
    """A picture the browser shows rather than saves (a page preview, a chart)."""
    return Response(png, mimetype=PNG,
                    headers={"Content-Disposition": f'inline; filename="{filename}"'})


def ok_doc(description: str, content: dict, headers: dict | None = None) -> dict:
    """The 200 answer of an endpoint that speaks several media types, for ``blp.doc``
    (a content map given this way replaces the one ``blp.response`` would make)."""
    answer = {"description": description,
              "content": {media: {"schema": schema} for media, schema in content.items()}}
    if headers:
        answer["headers"] = headers
    return {"responses": {"200": answer}}
