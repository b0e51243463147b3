"""One trace per CIA across the services (OpenTelemetry).

A request opens a server span; every event emitted under it carries the W3C
``traceparent`` (and ``tracestate``) as CloudEvents extension attributes (the
CloudEvents distributed-tracing extension); the consumer that handles the event
continues the trace, and so on to the webhook delivery, which sends
``traceparent`` on to the subscriber. Spans are exported over OTLP/HTTP when
``OTEL_EXPORTER_OTLP_ENDPOINT`` is set; otherwise the API's no-op tracer records
nothing and carries only a context that arrived from outside.
"""
from __future__ import annotations

import os
import threading
from contextlib import contextmanager
from typing import Iterator, Mapping

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

_PROPAGATOR = TraceContextTextMapPropagator()
_lock = threading.Lock()
_provider = None  # set by configure() or, in tests, use_provider()

SERVER, CONSUMER, CLIENT, PRODUCER = SpanKind.SERVER, SpanKind.CONSUMER, SpanKind.CLIENT, SpanKind.PRODUCER


def configure(service: str, env: Mapping[str, str] = os.environ) -> bool:
    """Export this process's spans over OTLP when an endpoint is configured (once)."""
    global _provider
    if not env.get("OTEL_EXPORTER_OTLP_ENDPOINT"):
        return False
    with _lock:
        if _provider is None:
            from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider
            from opentelemetry.sdk.trace.export import BatchSpanProcessor
            provider = TracerProvider(resource=Resource.create(
                {"service.name": env.get("OTEL_SERVICE_NAME") or f"cia-{service}"}))
            provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
            _provider = provider
    return True


def use_provider(provider) -> None:
    """Record spans with ``provider`` (tests: an in-memory exporter); None: back to none."""
    global _provider
    _provider = provider


def _tracer():
    return (_provider or trace.get_tracer_provider()).get_tracer("cia_workflow")


def carrier() -> dict[str, str]:
    """The current trace context as ``{"traceparent": ..., "tracestate": ...}`` ({} when none)."""
    out: dict[str, str] = {}
    _PROPAGATOR.inject(out)
    return out


@contextmanager
def span(name: str, *, service: str, kind: SpanKind = SpanKind.INTERNAL,
         parent: Mapping[str, str] | None = None, attributes: dict | None = None) -> Iterator:
    """A span, child of ``parent`` (a carrier from an event or headers) when given,
    else of the current span."""
    ctx = _PROPAGATOR.extract(parent) if parent else None
    with _tracer().start_as_current_span(
            name, context=ctx, kind=kind,
            attributes={"cia.service": service, **(attributes or {})}) as current:
        yield current


def recording() -> bool:
    """Whether spans go anywhere: a provider of ours or a global one was set."""
    return _provider is not None or not isinstance(
        trace.get_tracer_provider(), (trace.ProxyTracerProvider, trace.NoOpTracerProvider))


def start_request_span(name: str, headers: Mapping[str, str], service: str, attributes: dict):
    """A server span for a request, made current; end it with ``end_request_span``.
    None when there is nothing to record or carry on (no exporter and no
    ``traceparent`` came in): the no-op span would change nothing, and its context
    handling is a measurable share of a cached read."""
    if "traceparent" not in headers and not recording():
        return None
    current = _tracer().start_span(name, context=_PROPAGATOR.extract(headers), kind=SERVER,
                                   attributes={"cia.service": service, **attributes})
    token = otel_context.attach(trace.set_span_in_context(current))
    return current, token


def end_request_span(handle, status_code: int | None, error: BaseException | None) -> None:
    current, token = handle
    if status_code is not None:
        current.set_attribute("http.response.status_code", status_code)
        if status_code >= 500:
            current.set_status(Status(StatusCode.ERROR))
    if error is not None:
        current.record_exception(error)
        current.set_status(Status(StatusCode.ERROR))
    current.end()
    otel_context.detach(token)
