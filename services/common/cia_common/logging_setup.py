"""One log format for every process; secrets never reach it (see ``redact_secrets``)."""
from __future__ import annotations

import logging
import os
import re

SECRET = "[secret]"

# (pattern, replacement): what is kept of a match, then the marker.
_SECRET_PATTERNS = [
    # Authorization headers quoted anywhere.
    (re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/\-]+=*", re.IGNORECASE), r"\1" + SECRET),
    # A JWT on its own (header.claims.signature, base64url), e.g. in an error message.
    (re.compile(r"eyJ[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*"), SECRET),
    # Standard Webhooks secrets.
    (re.compile(r"whsec_[A-Za-z0-9+/=]+"), SECRET),
    # A one-time action link, and a document link from its page, are their own
    # credentials: the access log must not replay them.
    (re.compile(r"(/review/(?:actions|documents)/)[^\s\"'?#/]+"), r"\1" + SECRET),
]


def redact_secrets(text: str) -> str:
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class SecretFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string is logged as is
            message = str(record.msg)
        record.msg = redact_secrets(message)
        record.args = ()
        if record.exc_info and not record.exc_text:
            # Tracebacks carry exception messages: format them now, redacted.
            record.exc_text = redact_secrets(logging.Formatter().formatException(record.exc_info))
        elif record.exc_text:
            record.exc_text = redact_secrets(record.exc_text)
        return True


def configure_logging() -> None:
    level = os.environ.get("CIA_LOG_LEVEL", "INFO").upper()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(SecretFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("kafka").setLevel(logging.ERROR)
    # gunicorn's loggers do not propagate to the root: filter them where they
    # log (the access log prints request paths, and action links are paths).
    for name in ("gunicorn.access", "gunicorn.error"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, SecretFilter) for f in logger.filters):
            logger.addFilter(SecretFilter())
