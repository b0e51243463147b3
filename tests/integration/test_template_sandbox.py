"""A force's Word template cannot run code: every payload that reaches for Python,
the process or the file system is refused at upload and preview (422 naming the
expression) or renders inert, for every kind of template; and a template that got
in before these checks fails closed at render, without printing anything of the
process. Checked in every part of every answer: the problem documents and each part
of the documents produced."""
from __future__ import annotations

import io
import json
import logging
import os
import sys

import docx
import pytest

from cia_authoring.documents import render
from cia_authoring.templates import fields, service
from cia_common.web import db

from tests.integration.test_authoring_support import ADMIN, make_app
from tests.leaks import norm
from tests.integration.test_foi_support import readable_text

pytestmark = pytest.mark.integration

CANARY = "canary-5be1f0d2-sandbox"
KINDS = ("cia", "foi-response")

# Reaching for Python from a template: Jinja's globals and their function globals,
# dunder walks from every kind of value, the filters that take attribute names,
# string formatting, subclass loops, the special names Jinja and Flask know, imports
# and includes of file paths, and operators that would exhaust the process.
PAYLOADS = [
    "{{ cycler.__init__.__globals__.os.environ }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ lipsum.__globals__ }}",
    "{{ lipsum.__globals__['os'].popen('id').read() }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ range.__self__ }}",
    "{% set x = namespace %}{{ x }}",
    "{{ dict(a=1) }}",
    "{{ self }}",
    "{{ self.__init__.__globals__ }}",
    "{{ self._TemplateReference__context }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ ''.__class__.__base__.__subclasses__() }}",
    "{{ (1).__class__.__mro__ }}",
    "{{ (1.5).__class__.__base__ }}",
    "{{ [].__class__.__base__.__subclasses__() }}",
    "{{ {}.__class__.__base__ }}",
    "{{ force_name.__class__.__mro__ }}",
    "{{ force_name.__class__.__init__.__globals__ }}",
    "{{ ''['__class__'] }}",
    "{{ force_name['__cla' ~ 'ss__'] }}",
    "{{ force_name|attr('__class__') }}",
    "{{ force_name|attr('__init__')|attr('__globals__') }}",
    "{{ [force_name]|map(attribute='__class__')|list }}",
    "{{ [force_name]|selectattr('__class__')|list }}",
    "{{ '{0.__class__}'.format(force_name) }}",
    "{{ '{0.__class__.__init__.__globals__}'|format(force_name) }}",
    "{{ '%s' % self }}",
    "{{ '%s' % cycler }}",
    "{{ '%(a)s' % {'a': self} }}",
    "{{ '%999999999d' % 1 }}",
    "{% for c in ''.__class__.__mro__[1].__subclasses__() %}{{ c.__name__ }}{% endfor %}",
    "{% for c in [].__class__.__base__.__subclasses__() %}{% if c.__name__ == 'catch_warnings' %}"
    "{{ c()._module.__builtins__['__import__']('os').environ }}{% endif %}{% endfor %}",
    "{% set ns = namespace(a=1) %}{% set ns.a = cycler %}{{ ns.a }}",
    "{% for i in range(100000000) %}{% endfor %}",
    "{{ range(10)|list }}",
    "{{ config }}",
    "{{ config.items() }}",
    "{{ request.environ }}",
    "{{ request.application.__globals__ }}",
    "{{ g }}",
    "{{ url_for.__globals__ }}",
    "{{ force_name.__class__.mro() }}",
    "{{ ''.__class__.mro()[1] }}",
    "{{ __builtins__ }}",
    "{{ __import__('os').environ }}",
    "{% import 'os' as os %}{{ os.environ }}",
    "{% from 'os' import environ %}{{ environ }}",
    "{% include '/etc/passwd' %}",
    "{% extends '/etc/hostname' %}",
    "{% include '../../../../proc/self/environ' %}",
    "{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}{{ self }}{% endcall %}",
    "{% autoescape false %}{{ force_name }}{% endautoescape %}",
    "{{ force_name|safe }}",
    "{{ 'a' * 1000000000 }}",
    "{{ 9 ** 99999999 }}",
    "{% for x in [1] %}{{ loop.__class__ }}{{ loop.cycle.__globals__ }}{% endfor %}",
    "{{ varargs }}{{ kwargs }}",
    "{{ force_name.upper.__self__ }}",
    "{% with f = force_name %}{{ f.__class__ }}{% endwith %}",
]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    application = make_app(f"sqlite:///{tmp_path_factory.mktemp('sandbox') / 'authoring.db'}",
                           PDF_RENDER_AHEAD=False, UPLOAD_PARSE_SECONDS=20,
                           TEMPLATE_RENDER_SECONDS=10)
    yield application
    db(application).dispose()


@pytest.fixture(scope="module")
def client(app):
    return app.test_client()


@pytest.fixture(autouse=True)
def canary(monkeypatch):
    monkeypatch.setenv("CIA_SANDBOX_CANARY", CANARY)  # in the environment any render inherits


def process_values() -> list[str]:
    """What a template must never print of the process: the environment's secrets,
    the code's paths and the reprs of Python objects."""
    return [CANARY, os.environ["CIA_JWT_SECRET"], os.getcwd(), sys.prefix, "site-packages",
            "<class ", "<function ", "<built-in", "<module ", "<bound method", " object at 0x",
            "<templatereference", "<loopcontext", "jinja2.", "traceback (most recent"]


def internals(text: str) -> list[str]:
    text = norm(text)
    return [v for v in process_values() if norm(v) in text]


def with_payload(kind: str, payload: str) -> bytes:
    # A template of one paragraph (a fresh Word document, for either kind): what is
    # tested is the payload, and rendering a whole shipped template for each of the
    # hundreds of attempts would only cost time.
    d = docx.Document()
    d.add_paragraph(f"{kind}: {{{{ force_name }}}}")
    d.add_paragraph(payload)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def upload(client, kind: str, data: bytes):
    return client.put(f"/api/v1/templates/{kind}", headers=ADMIN,
                      content_type="multipart/form-data",
                      data={"file": (io.BytesIO(data), f"{kind}.docx")})


def preview(client, kind: str, data: bytes):
    return client.post(f"/api/v1/templates/{kind}/preview", headers=ADMIN,
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(data), f"{kind}.docx")})


def rendered(kind: str, data: bytes, cfg: dict) -> bytes:
    """The template rendered as the worker would if it had been stored before the
    upload checks existed (the checks are bypassed, the sandbox is not)."""
    if kind == "cia":
        return service.render_example(kind, data, cfg)
    return render.render_template(data, fields.LETTER_SAMPLE, {"title": "t", "author": "a"},
                                  render.render_limits(cfg))


def test_the_detector_sees_what_it_looks_for(client):
    # Positive control: the same path shows a template's own text, and the detector
    # finds an object's repr, a path and the environment when they are printed.
    marker = "A plain paragraph of the force's own"
    resp = preview(client, "cia", with_payload("cia", marker))
    assert resp.status_code == 200
    assert norm(marker) in readable_text(resp.data)
    planted = f"<class 'str'> {sys.prefix} {CANARY}"
    resp = preview(client, "cia", with_payload("cia", planted))
    assert resp.status_code == 200
    assert set(internals(readable_text(resp.data))) >= {"<class ", sys.prefix, CANARY}


@pytest.mark.parametrize("kind", KINDS)
def test_no_payload_reaches_python(app, client, kind, caplog):
    caplog.set_level(logging.INFO)
    cfg = app.config
    outcomes: dict[str, set[str]] = {"refused": set(), "inert": set()}
    for payload in PAYLOADS:
        data = with_payload(kind, payload)
        for name, resp in (("upload", upload(client, kind, data)),
                           ("preview", preview(client, kind, data))):
            body = resp.get_data(as_text=True)
            if resp.status_code in (413, 422):
                assert resp.mimetype == "application/problem+json"
                problem = json.loads(body)
                where = [e.get("where", {}) for e in problem.get("errors", [])]
                assert problem["errors"], (name, payload)
                # The problem names the template's paragraph where it was found.
                assert any(w.get("part") == "word/document.xml" for w in where) or \
                    problem["errors"][0]["code"] in ("render", "limit"), (name, payload, problem)
                outcomes["refused"].add(payload)
            else:
                assert resp.status_code in (200, 201), (name, payload, body[:300])
                if name == "upload":  # in force: put the default back for the next payload
                    client.post(f"/api/v1/templates/{kind}/versions/0/activate", headers=ADMIN)
                    body = readable_text(preview(client, kind, data).data)
                else:
                    body = readable_text(resp.data)
                outcomes["inert"].add(payload)
            assert internals(body) == [], (name, payload)
        try:
            out = rendered(kind, data, cfg)
        except render.TemplateRenderError as exc:
            assert internals(str(exc)) == [], payload
        else:
            assert internals(readable_text(out)) == [], payload
    # Nothing of the templates' text reaches the services' log, nor anything of the process
    # (the records of other libraries in this process, a Kafka client's, are not ours).
    ours = [r for r in caplog.records if r.name.startswith("cia_")]
    logged = "\n".join(r.getMessage() for r in ours)
    assert internals(logged) == []
    assert not any(p in logged for p in PAYLOADS if len(p) > 20)
    assert len(PAYLOADS) >= 40 and outcomes["refused"]
    # The checks at upload caught every payload: none of them is in force.
    versions = client.get(f"/api/v1/templates/{kind}/versions", headers=ADMIN).get_json()
    assert [v["version"] for v in versions if v["active"]] == [0]
    assert len(versions) == 1


def test_a_stored_hostile_template_fails_closed_in_the_worker_path(app):
    """A render that meets an unsafe expression produces no document at all."""
    data = with_payload("cia", "{{ '%s' % self }}")
    with pytest.raises(render.TemplateRenderError) as err:
        service.render_example("cia", data, app.config)
    assert "sandbox refuses" in str(err.value)
    assert internals(str(err.value)) == []


def test_a_template_that_never_ends_is_stopped(app):
    endless = ("{% for a in [1]*9000 %}{% for b in [1]*9000 %}{% for c in [1]*9000 %}"
               "{% endfor %}{% endfor %}{% endfor %}")
    cfg = {**app.config, "TEMPLATE_RENDER_SECONDS": 2}
    with pytest.raises(render.TemplateRenderError, match="longer than 2 s"):
        service.render_example("cia", with_payload("cia", endless), cfg)
