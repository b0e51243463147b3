"""HTML of the action-link pages. Rendered by Jinja with autoescaping on, so
nothing from an event or a form can inject markup."""
from __future__ import annotations

from flask import Response, render_template_string
from markupsafe import Markup

# No scripts at all; inline styles only; the form may post only to this origin.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ title }} — CIA review</title>
<style>
 body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
        color: #1b1b1b; line-height: 1.45; }
 h1 { font-size: 1.5rem; } dl { display: grid; grid-template-columns: 13rem 1fr; gap: .3rem 1rem; }
 dt { font-weight: 600; } dd { margin: 0; } textarea { width: 100%; min-height: 7rem; }
 .actions { display: flex; gap: .75rem; margin-top: 1rem; flex-wrap: wrap; }
 button { font-size: 1rem; padding: .55rem 1.1rem; border-radius: .3rem; border: 1px solid #555;
          cursor: pointer; }
 .approve { background: #0b6b2f; color: #fff; } .changes { background: #f2c94c; }
 .reject { background: #a4262c; color: #fff; }
 .notice { padding: .75rem 1rem; border-left: .35rem solid #555; background: #f3f3f3; }
 .error { border-color: #a4262c; background: #fbeaea; }
 .ok { border-color: #0b6b2f; background: #e8f5ec; }
</style>
</head>
<body>
{{ body }}
</body>
</html>"""

_SUMMARY = """
<dl>
  <dt>Operation</dt><dd>{{ r.operation_reference or "—" }} {{ r.operation_name or "" }}</dd>
  <dt>Title</dt><dd>{{ r.title or "—" }}</dd>
  <dt>Borough</dt><dd>{{ r.borough or "—" }}</dd>
  <dt>Use case</dt><dd>{{ r.use_case or "—" }}</dd>
  <dt>Planned start</dt><dd>{{ planned_start or "—" }}</dd>
  <dt>CIA version</dt><dd>{{ r.version }} (review round {{ r.round }})</dd>
  <dt>Author</dt><dd>{{ r.author_name or r.author_sub or "—" }}</dd>
  <dt>Submitted by</dt><dd>{{ r.submitted_by_name or r.submitted_by_sub or "—" }}</dd>
  <dt>Review due</dt><dd>{{ due_at }}</dd>
  <dt>Approvals</dt><dd>{{ approvals }} of {{ r.approvals_required }} needed</dd>
  <dt>Full CIA</dt><dd><code>{{ cia_api }}</code></dd>
</dl>
"""

_FORM = """
<h1>Review: {{ r.title or r.operation_reference or "Community Impact Assessment" }}</h1>
<p>You are asked to review this Community Impact Assessment as <strong>{{ reviewer }}</strong>.
This link works once.</p>
""" + _SUMMARY + """
{% if error %}<p class="notice error" role="alert">{{ error }}</p>{% endif %}
<form method="post" action="">
  <input type="hidden" name="nonce" value="{{ nonce }}">
  <input type="hidden" name="csrf" value="{{ csrf }}">
  <label for="comment"><strong>Comment</strong> (required to request changes)</label>
  <textarea id="comment" name="comment" maxlength="20000">{{ comment }}</textarea>
  <div class="actions">
    <button class="approve" type="submit" name="decision" value="approve">Approve</button>
    <button class="changes" type="submit" name="decision" value="request_changes">Request changes</button>
    <button class="reject" type="submit" name="decision" value="reject">Reject</button>
  </div>
</form>
"""

_MESSAGE = """
<h1>{{ heading }}</h1>
<p class="notice {{ kind }}">{{ message }}</p>
"""

_DECISION_WORDS = {"approve": "approved", "request_changes": "requested changes to",
                   "reject": "rejected"}


def _html(body: str, title: str, status: int) -> Response:
    # ``body`` was itself rendered with autoescaping, so it is safe to embed as is.
    resp = Response(render_template_string(_LAYOUT, title=title, body=Markup(body)), status=status,
                    mimetype="text/html")
    resp.headers["Content-Security-Policy"] = CSP
    return resp


def decision_form(review, *, reviewer: str, nonce: str, csrf: str, cia_api: str, approvals: int,
                  error: str | None = None, comment: str = "", status: int = 200) -> Response:
    body = render_template_string(
        _FORM, r=review, reviewer=reviewer, nonce=nonce, csrf=csrf, cia_api=cia_api,
        approvals=approvals, error=error, comment=comment,
        planned_start=_when(review.planned_start), due_at=_when(review.due_at))
    return _html(body, "Review", status)


def message(status: int, heading: str, text: str, *, kind: str = "error") -> Response:
    return _html(render_template_string(_MESSAGE, heading=heading, message=text, kind=kind),
                 heading, status)


def decision_recorded(review, decision: str) -> Response:
    what = _DECISION_WORDS.get(decision, decision)
    state = review.state.replace("_", " ")
    return message(200, "Decision recorded",
                   f"You {what} version {review.version} of "
                   f"{review.operation_reference or 'this CIA'}. The review is now {state}.",
                   kind="ok")


def _when(moment) -> str:
    return moment.strftime("%d %b %Y %H:%M UTC") if moment else ""
