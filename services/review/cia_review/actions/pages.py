"""HTML of the action-link pages. Rendered by Jinja with autoescaping on, so
nothing from an event or a form can inject markup."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from jinja2 import Environment
from markupsafe import Markup

from cia_schemas.content import SECTION_TITLES, USE_CASE_LABELS

from . import content_view
from .content_view import ContentView
from .dates import when

# No scripts at all; inline styles only; the form may post only to this origin.
CSP = ("default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
       "base-uri 'none'; frame-ancestors 'none'")

_LAYOUT = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<meta name="referrer" content="no-referrer">
<title>{{ title }} — CIA review</title>
<style>
 * { box-sizing: border-box; }
 body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
        sans-serif; margin: 0; color: #1b1b1b; background: #f3f4f6; line-height: 1.5;
        font-size: 1rem; }
 .band { background: #0b0c0c; color: #fff; padding: .7rem 0; }
 .band span { max-width: 50rem; margin: 0 auto; padding: 0 1rem; display: block;
              font-weight: 700; letter-spacing: .01em; }
 main { max-width: 50rem; margin: 1.5rem auto 3rem; padding: 0 1rem; }
 h1 { font-size: 1.75rem; line-height: 1.2; margin: 0 0 .35rem; }
 h2 { font-size: 1.15rem; margin: 0 0 .6rem; }
 .lead { font-size: 1.2rem; margin: 0 0 1rem; color: #333; }
 .card { background: #fff; border: 1px solid #d0d4d9; border-radius: .4rem; padding: 1rem 1.25rem;
         margin: 1rem 0; }
 dl { display: grid; grid-template-columns: 11rem 1fr; gap: .35rem 1.25rem; margin: 0 0 1rem; }
 dl:last-child { margin-bottom: 0; }
 dt { font-weight: 600; color: #444; } dd { margin: 0; overflow-wrap: anywhere; }
 @media (max-width: 34rem) { dl { grid-template-columns: 1fr; } dd { margin-bottom: .4rem; } }
 .muted { color: #555; font-size: .92rem; }
 ul.links { margin: 0; padding-left: 1.2rem; } ul.links li { margin: .2rem 0; }
 a { color: #1d4f91; }
 .round { border-top: 1px solid #e3e5e8; padding-top: .6rem; margin-top: .6rem; }
 .round:first-of-type { border-top: 0; padding-top: 0; margin-top: 0; }
 blockquote { margin: .3rem 0; padding: .3rem .8rem; border-left: .25rem solid #c8ccd1;
              background: #fafafa; white-space: pre-wrap; }
 label { display: block; font-weight: 600; margin-bottom: .3rem; }
 textarea { width: 100%; min-height: 7rem; font: inherit; padding: .5rem; border: 1px solid #888;
            border-radius: .3rem; }
 .actions { display: flex; gap: .75rem; margin-top: 1rem; flex-wrap: wrap; }
 button { font: inherit; font-weight: 600; padding: .6rem 1.2rem; border-radius: .3rem;
          border: 1px solid #444; cursor: pointer; }
 .approve { background: #00703c; border-color: #005a30; color: #fff; }
 .changes { background: #ffdd00; border-color: #b59d00; color: #0b0c0c; }
 .reject { background: #fff; border-color: #a4262c; color: #a4262c; }
 .notice { padding: .85rem 1rem; border-left: .4rem solid #555; background: #fff; margin: 1rem 0; }
 .error { border-color: #a4262c; background: #fbeaea; }
 .ok { border-color: #00703c; background: #e8f5ec; }
 .cia h2 { display: inline; margin: 0; }
 .cia > details > summary { cursor: pointer; padding: .1rem 0; }
 .cia > details[open] > summary { margin-bottom: .6rem; }
 .cia dl dl { grid-template-columns: minmax(7rem, 30%) 1fr; }
 .cia dd, .cia li { white-space: pre-wrap; }
 .item { border-left: .2rem solid #d0d4d9; padding: .1rem 0 .1rem .7rem; margin: .5rem 0; }
 .item > dl { margin: 0; }
 .tag { display: inline-block; font-size: .8rem; font-weight: 700; padding: 0 .4rem;
        border-radius: .2rem; background: #ffdd00; color: #0b0c0c; margin-left: .4rem;
        vertical-align: middle; }
 .change { border-top: 1px solid #e3e5e8; padding: .5rem 0; }
 .change:first-of-type { border-top: 0; }
 .change .old { background: #fbeaea; text-decoration: line-through; }
 .change .new { background: #e8f5ec; }
 .change .old, .change .new { padding: .1rem .3rem; white-space: pre-wrap;
                              overflow-wrap: anywhere; }
 details.remark { margin-top: .8rem; }
 details.remark > summary { cursor: pointer; color: #1d4f91; font-weight: 600; }
 details.remark textarea { min-height: 5rem; margin-top: .3rem; }
 @media (max-width: 34rem) { .cia dl dl { grid-template-columns: 1fr; }
                             .card { padding: .8rem .8rem; } main { padding: 0 .6rem; } }
</style>
</head>
<body>
<div class="band"><span>CIA Workflow · Review</span></div>
<main>
{{ body }}
</main>
</body>
</html>"""

_SUMMARY = """
<section class="card" aria-labelledby="s-operation">
  <h2 id="s-operation">The operation</h2>
  <dl>
    <dt>Operation</dt><dd>{{ s.operation }}</dd>
    <dt>Use case</dt><dd>{{ s.use_case }}</dd>
    <dt>Borough</dt><dd>{{ s.borough }}</dd>
    {% if s.location %}<dt>Location</dt><dd>{{ s.location }}</dd>{% endif %}
    <dt>Planned start</dt><dd>{{ s.planned_start }}</dd>
    {% if s.planned_end %}<dt>Planned end</dt><dd>{{ s.planned_end }}</dd>{% endif %}
  </dl>
</section>
<section class="card" aria-labelledby="s-review">
  <h2 id="s-review">The review</h2>
  <dl>
    <dt>CIA version</dt><dd>{{ s.version }}{% if s.round > 1 %} — review round {{ s.round }}{% endif %}</dd>
    <dt>Author</dt><dd>{{ s.author }}</dd>
    {% if s.last_editor %}<dt>Last edited by</dt><dd>{{ s.last_editor }}</dd>{% endif %}
    <dt>Submitted</dt><dd>{{ s.submitted }}</dd>
    <dt>Review due</dt><dd><strong>{{ s.due }}</strong></dd>
    <dt>Reviewers</dt><dd>{{ s.reviewers }}</dd>
    <dt>Approvals</dt><dd>{{ s.approvals }}</dd>
  </dl>
  <h2>Links</h2>
  <ul class="links">
    {% for label, url in s.links %}<li><a href="{{ url }}" rel="noreferrer">{{ label }}</a></li>{% endfor %}
  </ul>
  <p class="muted">The document links are yours alone: they stop working when you decide, and
  after a short time (open this page again for fresh ones). The API links need your usual
  sign-in token.</p>
</section>
{% if s.earlier %}
<section class="card" aria-labelledby="s-earlier">
  <h2 id="s-earlier">Earlier review rounds of this version</h2>
  {% for round in s.earlier %}
  <div class="round">
    <p><strong>Round {{ round.round }}: {{ round.outcome }}</strong></p>
    {% for d in round.decisions %}
    <p class="muted">{{ d.who }} — {{ d.what }}, {{ d.when }}</p>
    {% if d.comment %}<blockquote>{{ d.comment }}</blockquote>{% endif %}
    {% for c in d.sections %}<blockquote><strong>{{ c.section }}:</strong> {{ c.comment }}</blockquote>{% endfor %}
    {% endfor %}
  </div>
  {% endfor %}
</section>
{% endif %}
"""

_VALUE = """{% macro show(v) -%}
{%- if v is mapping -%}
<dl>{% for k, x in v.items() %}<dt>{{ label(k) }}</dt><dd>{{ show(x) }}</dd>{% endfor %}</dl>
{%- elif v is string -%}{{ v if v else "—" }}
{%- elif v is sequence -%}
{%- if not v %}—{% elif v | select("mapping") | list %}{% for x in v %}<div class="item">{{ show(x) }}</div>{% endfor %}
{%- else %}<ul>{% for x in v %}<li>{{ show(x) }}</li>{% endfor %}</ul>{% endif -%}
{%- elif v is sameas true %}Yes{% elif v is sameas false %}No{% elif v is none %}—{% else %}{{ v }}{% endif -%}
{%- endmacro %}"""

_CIA = """
{% if cia is none %}
<section class="card" aria-labelledby="s-cia">
  <h2 id="s-cia">The CIA</h2>
  <p class="notice">The content of this version did not come with the submission. Open it
  through the links above.</p>
</section>
{% else %}
{% if cia.changes is not none %}
<section class="card" aria-labelledby="s-changes">
  <h2 id="s-changes">What changed since {{ cia.compared_with }}</h2>
  {% if not cia.changes %}<p>Nothing in the content changed.</p>{% endif %}
  {% for sec in cia.changes %}
  <h3>{{ sec.title }}</h3>
  {% for c in sec.changes %}
  <div class="change">
    <strong>{{ c.field }}</strong> <span class="muted">({{ c.op }})</span>
    {% if c.op != "added" %}<div class="old" aria-label="before">{{ show(c.old) }}</div>{% endif %}
    {% if c.op != "removed" %}<div class="new" aria-label="after">{{ show(c.new) }}</div>{% endif %}
  </div>
  {% endfor %}
  {% endfor %}
</section>
{% endif %}
<div class="cia" id="cia">
{% for sec in cia.sections %}
<section class="card" id="section-{{ sec.key }}" aria-labelledby="h-{{ sec.key }}">
  <details{% if not sec.folded %} open{% endif %}>
    <summary><h2 id="h-{{ sec.key }}">{{ loop.index }}. {{ sec.title }}</h2>
      {%- if sec.changed %}<span class="tag">Changed</span>{% endif %}
      {%- if sec.folded %} <span class="muted">(long: open to read)</span>{% endif %}</summary>
    {% if sec.present %}{{ show(sec.value) }}{% else %}<p class="muted">Not filled in for this version.</p>{% endif %}
  </details>
  {% if form %}
  <details class="remark"{% if section_comments.get(sec.key) %} open{% endif %}>
    <summary>Comment on this section</summary>
    <label class="muted" for="sc-{{ sec.key }}">Your comment on “{{ sec.title }}”</label>
    <textarea id="sc-{{ sec.key }}" name="section_comment.{{ sec.key }}" form="decide"
              maxlength="10000">{{ section_comments.get(sec.key, "") }}</textarea>
  </details>
  {% endif %}
</section>
{% endfor %}
</div>
{% endif %}
"""

_FORM = """
<h1>Review requested</h1>
<p class="lead">{{ s.title }}</p>
<p>You are asked to review this Community Impact Assessment as <strong>{{ reviewer }}</strong>.
This link is yours alone and works once{% if expires %}, until {{ expires }}{% endif %}.</p>
""" + _SUMMARY + _CIA + """
<section class="card" aria-labelledby="s-decide">
  <h2 id="s-decide">Your decision</h2>
  {% if error %}<p class="notice error" role="alert">{{ error }}</p>{% endif %}
  <form method="post" action="" id="decide">
    <input type="hidden" name="nonce" value="{{ nonce }}">
    <input type="hidden" name="csrf" value="{{ csrf }}">
    <label for="comment">Comment <span class="muted">(required to request changes or reject;
    comments on sections go with it)</span></label>
    <textarea id="comment" name="comment" maxlength="20000">{{ comment }}</textarea>
    <div class="actions">
      <button class="approve" type="submit" name="decision" value="approve">Approve</button>
      <button class="changes" type="submit" name="decision" value="request_changes">Request changes</button>
      <button class="reject" type="submit" name="decision" value="reject">Reject</button>
    </div>
  </form>
</section>
"""

_MESSAGE = """
<h1>{{ heading }}</h1>
<p class="notice {{ kind }}"{% if kind == "error" %} role="alert"{% endif %}>{{ message }}</p>
{% if next_steps %}<p>{{ next_steps }}</p>{% endif %}
"""

# Autoescaping on, as Flask's render_template_string had it; Flask itself stays in the views.
_JINJA = Environment(autoescape=True)


class Page(NamedTuple):
    """A rendered page. A view returns it as it is, since Flask takes a
    (body, status, headers) tuple as a response; it may add headers first (Retry-After)."""
    body: str
    status: int
    headers: dict[str, str]


def _render(template: str, **context) -> str:
    return _JINJA.from_string(template).render(**context)


_DECISION_WORDS = {"approve": "approved", "request_changes": "requested changes to",
                   "reject": "rejected"}
_OUTCOME_WORDS = {"approved": "approved", "changes_requested": "changes requested",
                  "rejected": "rejected", "superseded": "replaced by a newer submission",
                  "cancelled": "cancelled", "open": "open"}
_NEXT_STEPS = {
    "approved": "The authoring service records the approval and produces the final and "
                "disclosure documents. Nothing more is needed from you.",
    "changes_requested": "The planner sees your comments and can resubmit; you will be asked "
                         "again when they do.",
    "rejected": "The planner is told that this version was rejected.",
    "open": "The review stays open until enough reviewers have approved it.",
}


@dataclass(frozen=True)
class Summary:
    """What the page tells a reviewer about the CIA, as display strings."""
    title: str
    operation: str
    use_case: str
    borough: str
    location: str | None
    planned_start: str
    planned_end: str | None
    version: int
    round: int
    author: str
    last_editor: str | None
    submitted: str
    due: str
    reviewers: str
    approvals: str
    links: list[tuple[str, str]]
    earlier: list[dict] = field(default_factory=list)
    cia: ContentView | None = None


def _person(sub, name) -> str | None:
    if not sub:
        return None
    return f"{name} ({sub})" if name and name != sub else sub




def summary(review, *, links: dict, approvals: int, earlier=(), baseline=None) -> Summary:
    """The page's summary of ``review`` (a ``Review`` row), its earlier rounds and its
    content, compared with ``baseline`` (an earlier round) when there is one."""
    sub = review.submission or {}
    ward = sub.get("ward")
    borough = review.borough or "—"
    ref, name = review.operation_reference, review.operation_name
    return Summary(
        title=review.title or "Community Impact Assessment",
        operation=" — ".join(p for p in (ref, name) if p) or "—",
        use_case=USE_CASE_LABELS.get(review.use_case or "", review.use_case or "—"),
        borough=f"{borough} (ward: {ward})" if ward else borough,
        location=sub.get("location_name"),
        planned_start=when(review.planned_start),
        planned_end=when(sub["planned_end"]) if sub.get("planned_end") else None,
        version=review.version,
        round=review.round,
        author=_person(review.author_sub, review.author_name) or "—",
        last_editor=_person(review.last_editor_sub, review.last_editor_name)
        if review.last_editor_sub != review.author_sub else None,
        submitted=" on ".join(p for p in (
            _person(review.submitted_by_sub, review.submitted_by_name),
            when(review.opened_at)) if p),
        due=when(review.due_at),
        reviewers=", ".join(review.reviewers) or "Any reviewer",
        approvals=f"{approvals} of {review.approvals_required} needed",
        links=[(label, url) for label, url in (
            (f"Version {review.version} as a Word document (DOCX)", links.get("document_docx")),
            (f"Version {review.version} as a PDF", links.get("document_pdf")),
            (f"Version {review.version} as a document (API, needs a token)",
             links.get("cia_document")),
            ("The CIA, version by version (API, needs a token)", links.get("cia_api")),
            ("This review and its decisions (API, needs a token)", links.get("review_api")),
        ) if url],
        earlier=[{
            "round": old.round,
            "outcome": _OUTCOME_WORDS.get(old.state, old.state.replace("_", " ")),
            "decisions": [{
                "who": _person(d.reviewer_sub, d.reviewer_name),
                "what": _DECISION_WORDS.get(d.decision, d.decision).replace(" to", ""),
                "when": when(d.decided_at),
                "comment": d.comment,
                "sections": [{"section": SECTION_TITLES.get(c.get("section"), c.get("section")),
                              "comment": c.get("comment")} for c in (d.section_comments or [])],
            } for d in old.decisions],
        } for old in earlier],
        cia=content_view.build(
            review.content, baseline.content if baseline is not None else None,
            compared_with=_compared_with(review, baseline) if baseline is not None else None),
    )


def _compared_with(review, baseline) -> str:
    if baseline.version == review.version:
        return f"review round {baseline.round}"
    return f"approved version {baseline.version}"


def _html(body: str, title: str, status: int) -> Page:
    # ``body`` was itself rendered with autoescaping, so it is safe to embed as is.
    return Page(_render(_LAYOUT, title=title, body=Markup(body)), status,
                {"Content-Type": "text/html; charset=utf-8", "Content-Security-Policy": CSP})


def decision_form(s: Summary, *, reviewer: str, nonce: str, csrf: str, expires_at=None,
                  error: str | None = None, comment: str = "",
                  section_comments: dict[str, str] | None = None,
                  status: int = 200) -> Page:
    body = _render(
        _VALUE + _FORM, s=s, cia=s.cia, form=True, label=content_view.label, reviewer=reviewer,
        nonce=nonce, csrf=csrf, error=error, comment=comment,
        section_comments=section_comments or {},
        expires=when(expires_at) if expires_at else None)
    return _html(body, "Review", status)


def message(status: int, heading: str, text: str, *, kind: str = "error",
            next_steps: str | None = None) -> Page:
    return _html(_render(_MESSAGE, heading=heading, message=text, kind=kind,
                         next_steps=next_steps), heading, status)


def decision_recorded(review, decision: str) -> Page:
    what = _DECISION_WORDS.get(decision, decision)
    state = _OUTCOME_WORDS.get(review.state, review.state.replace("_", " "))
    ref = " — ".join(p for p in (review.operation_reference, review.title) if p) or "this CIA"
    return message(200, "Decision recorded",
                   f"You {what} version {review.version} of {ref}. The review is now {state}.",
                   kind="ok", next_steps=_NEXT_STEPS.get(review.state))
