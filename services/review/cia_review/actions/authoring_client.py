"""The authoring API as the review service calls it: the reviewed version's
document, fetched on behalf of a reviewer who holds a signed document link.

The request carries a bearer token for that reviewer (minted for a minute with
the shared HS256 key, or ``CIA_AUTHORING_TOKEN`` where tokens come from an
identity provider), so the authoring service applies its own access rules and
audits the render under the reviewer's name.
"""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass

import requests

from cia_common.auth import mint_token

MEDIA_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
}
# A PDF of an unapproved version is converted on the fly; authoring gives up on
# a conversion after its own wait and answers 503, well inside this.
TIMEOUT_SECONDS = (5, 90)


@dataclass(frozen=True)
class Document:
    data: bytes
    sha256: str
    filename: str
    media_type: str


class DocumentUnavailable(Exception):
    """Authoring could not hand over the document now; ``retry_after`` when it said so."""

    def __init__(self, detail: str, retry_after: str | None = None):
        super().__init__(detail)
        self.retry_after = retry_after


def credential(cfg: dict, reviewer_sub: str) -> str | None:
    """A bearer token to read documents as ``reviewer_sub``; None when there is no way to."""
    if cfg.get("JWT_SECRET") and not cfg.get("JWKS_URL"):
        return mint_token(cfg["JWT_SECRET"], sub=reviewer_sub, name=reviewer_sub,
                          roles=["reviewer"], ttl_seconds=60, issuer=cfg.get("JWT_ISSUER"),
                          audience=cfg.get("JWT_AUDIENCE"))
    return cfg.get("AUTHORING_TOKEN") or os.environ.get("CIA_AUTHORING_TOKEN") or None


def can_fetch(cfg: dict) -> bool:
    return credential(cfg, "probe") is not None


def fetch_document(cfg: dict, authoring_url: str, *, cia_id: str, version: int, fmt: str,
                   reviewer_sub: str) -> Document:
    token = credential(cfg, reviewer_sub)
    if token is None:
        raise DocumentUnavailable("The review service has no credential for the authoring API.")
    url = f"{authoring_url}/api/v1/cias/{cia_id}/versions/{version}/document"
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS, headers={
            "Authorization": f"Bearer {token}", "Accept": MEDIA_TYPES[fmt]})
    except requests.RequestException as exc:
        raise DocumentUnavailable(f"The authoring service did not answer: {exc.__class__.__name__}",
                                  retry_after="30") from None
    if response.status_code != 200:
        raise DocumentUnavailable(f"The authoring service answered {response.status_code}.",
                                  retry_after=response.headers.get("Retry-After"))
    filename = f"cia-{cia_id}-v{version}.{fmt}"
    disposition = response.headers.get("Content-Disposition", "")
    if 'filename="' in disposition:
        filename = disposition.split('filename="', 1)[1].split('"', 1)[0] or filename
    digest = hashlib.sha256(response.content).hexdigest()
    if response.headers.get("X-Content-SHA256", digest) != digest:
        raise DocumentUnavailable("The document arrived damaged.", retry_after="5")
    return Document(data=response.content, sha256=digest, filename=filename,
                    media_type=MEDIA_TYPES[fmt])
