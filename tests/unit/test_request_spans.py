"""A request's server span: none when nothing records spans and no trace came in
(the no-op span would change nothing), else made current so that the events the
request emits carry its trace on."""
from __future__ import annotations

import pytest

from cia_common import tracing

from tests.support import recorded_spans

INCOMING = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


@pytest.fixture
def exporter():
    with recorded_spans() as exporter:
        yield exporter


def test_nothing_recording_and_no_trace_in_is_no_span():
    assert not tracing.recording()
    assert tracing.start_request_span("GET /x", {}, "authoring", {}) is None
    assert tracing.carrier() == {}


def test_a_trace_that_came_in_is_carried_on_without_a_recorder():
    handle = tracing.start_request_span("GET /x", {"traceparent": INCOMING}, "authoring", {})
    assert handle is not None
    try:
        assert tracing.carrier()["traceparent"].split("-")[1] == INCOMING.split("-")[1]
    finally:
        tracing.end_request_span(handle, 200, None)
    assert tracing.carrier() == {}


def test_a_recorder_gets_a_span_for_every_request(exporter):
    handle = tracing.start_request_span("GET /x", {}, "authoring", {"http.route": "/x"})
    assert handle is not None
    tracing.end_request_span(handle, 200, None)
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET /x" and span.attributes["http.response.status_code"] == 200
