"""A delivery connects to the address its destination check approved, whatever the
name resolves to afterwards (DNS rebinding), and still speaks to the name: Host
header, TLS SNI and certificate.

Two real receivers listen on the same port, one on 127.0.0.1 (allowed) and one on
127.0.0.2 (refused: loopback outside the allow-list). ``socket.getaddrinfo`` itself
is replaced, so a second resolution anywhere in the sending path would reach the
second answer.
"""
from __future__ import annotations

import json
import socket
import ssl
import threading
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from cia_notifier.deliveries.loop import Job, send
from cia_notifier.subscriptions import egress
from cia_notifier.settings import Settings

NAME = "hooks.rebind.test"
ALLOWED, REFUSED = "127.0.0.1", "127.0.0.2"
SETTINGS = Settings(secret_rotation_hours=24, allowed_hosts=(f"{ALLOWED}/32",),
                    timeout_seconds=5, retry_schedule=(1,), max_consecutive_failures=20,
                    concurrency=1)
EVENT = {"id": "ev-pin", "type": "cia.approved", "source": "/a", "specversion": "1.0",
         "data": {"cia_id": "cia-1"}}


class Receiver:
    """Records every request's Host header and (over TLS) the SNI name it was sent."""

    def __init__(self, address: str, port: int = 0, tls: ssl.SSLContext | None = None):
        self.hosts: list[str] = []
        self.sni: list[str | None] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                receiver.hosts.append(self.headers.get("Host"))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((address, port), Handler)
        self.server.daemon_threads = True
        if tls is not None:
            tls.sni_callback = lambda sock, name, ctx: self.sni.append(name)
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers():
    allowed = Receiver(ALLOWED)
    refused = Receiver(REFUSED, allowed.port)  # same port: only the address differs
    yield allowed, refused
    allowed.close()
    refused.close()


@pytest.fixture
def dns(monkeypatch):
    """``answers`` for NAME: the first resolution gets the first, every later one the second."""
    real = socket.getaddrinfo
    state = {"answers": (ALLOWED, REFUSED), "calls": 0}

    def getaddrinfo(host, port, *args, **kwargs):
        if host != NAME:
            return real(host, port, *args, **kwargs)
        state["calls"] += 1
        address = state["answers"][0 if state["calls"] == 1 else 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (address, int(port)))]
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return state


@pytest.fixture
def fresh_pools(monkeypatch):
    # Connections kept alive by an earlier test must not answer for this one.
    monkeypatch.setattr(egress, "_local", threading.local())


def job(url: str) -> Job:
    return Job("d-1", "c-1", "ev-pin", json.dumps(EVENT), url, "cloudevent", None,
               ("whsec_" + "A" * 44,))


def test_the_delivery_connects_to_the_checked_address_not_a_later_answer(receivers, dns,
                                                                          fresh_pools):
    allowed, refused = receivers
    outcome = send(job(f"http://{NAME}:{allowed.port}/hook"), SETTINGS)
    assert (outcome.status_code, outcome.error) == (204, None)
    assert dns["calls"] == 1
    assert len(allowed.hosts) == 1 and refused.hosts == []
    # The next delivery checks again, sees the refused answer and sends nothing.
    again = send(job(f"http://{NAME}:{allowed.port}/hook"), SETTINGS)
    assert again.status_code is None and again.error.startswith("destination refused")
    assert REFUSED in again.error
    assert len(allowed.hosts) == 1 and refused.hosts == []


def test_a_refused_first_answer_is_not_sent_to_even_if_the_name_moves(receivers, dns,
                                                                      fresh_pools):
    allowed, refused = receivers
    dns["answers"] = (REFUSED, ALLOWED)
    outcome = send(job(f"http://{NAME}:{allowed.port}/hook"), SETTINGS)
    assert outcome.status_code is None and outcome.error.startswith("destination refused")
    assert dns["calls"] == 1
    assert allowed.hosts == [] and refused.hosts == []


def test_the_host_header_carries_the_name(receivers, dns, fresh_pools):
    allowed, _ = receivers
    assert send(job(f"http://{NAME}:{allowed.port}/hook"), SETTINGS).status_code == 204
    assert allowed.hosts == [f"{NAME}:{allowed.port}"]


# ---------------------------------------------------------------- TLS to the name

def _key():
    return ec.generate_private_key(ec.SECP256R1())


def _cert(subject: str, key, issuer: str, issuer_key, *, ca: bool, san: str | None = None):
    now = datetime.now(timezone.utc)
    builder = (x509.CertificateBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
               .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer)]))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - timedelta(minutes=5))
               .not_valid_after(now + timedelta(hours=1))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if san:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]),
                                        critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _pem(obj) -> bytes:
    if isinstance(obj, x509.Certificate):
        return obj.public_bytes(serialization.Encoding.PEM)
    return obj.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


@pytest.fixture
def tls_receiver(tmp_path, monkeypatch, fresh_pools):
    """An https receiver on 127.0.0.1 whose certificate names ``cert_for``, from a CA the
    notifier is made to trust."""
    ca_key = _key()
    ca = _cert("Test CA", ca_key, "Test CA", ca_key, ca=True)
    (tmp_path / "ca.pem").write_bytes(_pem(ca))
    monkeypatch.setattr(egress, "CA_CERTS", str(tmp_path / "ca.pem"))
    started = []

    def start(cert_for: str) -> Receiver:
        key = _key()
        leaf = _cert(cert_for, key, "Test CA", ca_key, ca=False, san=cert_for)
        (tmp_path / "leaf.pem").write_bytes(_pem(leaf) + _pem(key))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(tmp_path / "leaf.pem")
        started.append(Receiver(ALLOWED, tls=context))
        return started[-1]
    yield start
    for receiver in started:
        receiver.close()


def test_tls_is_spoken_to_the_name_at_the_pinned_address(tls_receiver, dns):
    rx = tls_receiver(NAME)
    outcome = send(job(f"https://{NAME}:{rx.port}/hook"), SETTINGS)
    assert (outcome.status_code, outcome.error) == (204, None)
    assert rx.sni == [NAME] and rx.hosts == [f"{NAME}:{rx.port}"]
    assert dns["calls"] == 1


def test_a_certificate_for_another_name_is_refused(tls_receiver, dns):
    rx = tls_receiver("someone-else.test")
    outcome = send(job(f"https://{NAME}:{rx.port}/hook"), SETTINGS)
    assert outcome.status_code is None and "SSLError" in outcome.error
    assert rx.hosts == []
