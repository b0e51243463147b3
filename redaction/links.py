"""Links are text too: a URL passes through the same pass as any other words.

A URL cannot hold a marker and still lead anywhere, so one whose path, query or
fragment holds a withheld word is cut to its host (``https://host/``), and one
whose host holds one is withheld whole; either way the redactor's log says so.
Words in a URL are looked for with a capital as well, since a path is written in
lower case whatever the name (``/user/zebedee_quarrington``).
"""
from __future__ import annotations

import re
from urllib.parse import unquote, urlsplit

from cia_redaction.redactor import Redactor
from cia_redaction.vocabulary import EXEMPTIONS, MARKERS, S40

_WORD = re.compile(r"[^\W\d_]+")
CUT_REASON = "A withheld word in the link: the link is cut to its host."
WITHHELD_REASON = "A withheld word in the link's host: the link is withheld."


def _capitalised(text: str) -> str:
    return _WORD.sub(lambda m: m.group(0).capitalize(), text)


def _hit(redactor: Redactor, text: str, pointer: str) -> str | None:
    """The marker of the first redaction in ``text`` (read as written and with
    capitals), or ``None``."""
    text = unquote(text)
    for variant in (text, _capitalised(text)):
        spans = redactor.spans(variant, pointer)
        if spans:
            return spans[0][2]
    return None


def _exemption(marker: str) -> str:
    return next((e for e, m in MARKERS.items() if m == marker), S40)


def redact_url(redactor: Redactor, url: str, pointer: str = "/") -> str:
    """``url`` as it may be printed: whole, cut to its host, or withheld."""
    if not url:
        return url
    parts = urlsplit(url.strip())
    if not (parts.scheme and parts.netloc):
        return redactor.text(url, pointer)  # not a link: words like any other
    host = parts.hostname or parts.netloc
    # The host's labels read as words ("zebedee-blog.example.org").
    marker = _hit(redactor, " ".join(host.split(".")), pointer)
    if marker is not None or parts.username or parts.password:
        _log(redactor, pointer, marker, WITHHELD_REASON)
        return marker or MARKERS[S40]
    rest = " ".join(p for p in (parts.path, parts.query, parts.fragment) if p)
    marker = _hit(redactor, " ".join(re.split(r"[/?&=#]+", rest)), pointer) if rest else None
    if marker is None:
        return url
    _log(redactor, pointer, marker, CUT_REASON)
    return f"{parts.scheme}://{parts.netloc}/"


def _log(redactor: Redactor, pointer: str, marker: str | None, reason: str) -> None:
    exemption = _exemption(marker) if marker else S40
    redactor.log.append({"pointer": pointer, "exemption": EXEMPTIONS[exemption],
                         "reason": reason, "rule_id": None, "detector": "link"})
