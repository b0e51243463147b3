"""Secrets never reach the logs: the redaction every process's log handler applies."""
from __future__ import annotations

import logging

from cia_common.auth import mint_token
from cia_common.logging_setup import SECRET, SecretFilter, configure_logging, redact_secrets

TOKEN = mint_token("k" * 32, sub="planner-1", name="Pat", roles=["planner"])
LINK_TOKEN = "eyJqIjoiMSJ9.c2lnbmF0dXJlLXBhcnQ"  # <base64url claims>.<base64url mac>
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def test_bearer_tokens_are_redacted():
    out = redact_secrets(f"headers={{'Authorization': 'Bearer {TOKEN}'}}")
    assert TOKEN not in out and f"Bearer {SECRET}" in out


def test_a_bare_jwt_is_redacted():
    out = redact_secrets(f"could not decode {TOKEN} from the header")
    assert TOKEN not in out and "could not decode" in out


def test_webhook_secrets_are_redacted():
    out = redact_secrets(f"subscription secret {WHSEC} rotated")
    assert WHSEC not in out and "rotated" in out


def test_action_link_tokens_in_paths_are_redacted_and_the_path_kept():
    line = f'127.0.0.1 "GET /review/actions/{LINK_TOKEN}" 200 1234 3ms'
    out = redact_secrets(line)
    assert LINK_TOKEN not in out
    assert f'"GET /review/actions/{SECRET}" 200' in out
    url = f"http://review.test/review/actions/{LINK_TOKEN}?x=1"
    assert LINK_TOKEN not in redact_secrets(url)


def test_document_links_in_paths_are_redacted_too():
    line = f'127.0.0.1 "GET /review/documents/{LINK_TOKEN}" 200 81234 40ms'
    out = redact_secrets(line)
    assert LINK_TOKEN not in out and f'"GET /review/documents/{SECRET}" 200' in out


def test_ordinary_text_is_left_alone():
    text = "opened review 6f1c for CIA 9a2b v1 round 1 (pool reviewers)"
    assert redact_secrets(text) == text


def _record(msg, args=(), exc_info=None) -> logging.LogRecord:
    return logging.LogRecord("t", logging.INFO, __file__, 1, msg, args, exc_info)


def test_the_filter_redacts_a_formatted_message_with_dict_arguments():
    # gunicorn's access log passes one dict of atoms as the arguments.
    record = _record('%(h)s "%(m)s %(U)s"', ({"h": "127.0.0.1", "m": "POST",
                                              "U": f"/review/actions/{LINK_TOKEN}"},))
    assert SecretFilter().filter(record)
    assert record.getMessage() == f'127.0.0.1 "POST /review/actions/{SECRET}"'


def test_the_filter_redacts_tracebacks():
    try:
        raise ValueError(f"bad token {TOKEN}")
    except ValueError:
        import sys
        record = _record("failed", exc_info=sys.exc_info())
    SecretFilter().filter(record)
    text = logging.Formatter().format(record)
    assert "ValueError" in text and TOKEN not in text


def test_configure_logging_filters_gunicorns_own_loggers():
    access, error, root = (logging.getLogger(n) for n in ("gunicorn.access", "gunicorn.error", ""))
    saved = (list(access.filters), list(error.filters), list(root.handlers), root.level)
    try:
        configure_logging()
        configure_logging()  # idempotent: one filter, not two
        assert sum(isinstance(f, SecretFilter) for f in access.filters) == 1
        assert any(isinstance(f, SecretFilter) for f in logging.getLogger("gunicorn.error").filters)
        assert all(any(isinstance(f, SecretFilter) for f in h.filters)
                   for h in logging.getLogger().handlers)
    finally:
        access.filters[:], error.filters[:], root.handlers[:] = saved[:3]
        root.setLevel(saved[3])
