"""The three services as separate gunicorn processes plus their workers (and, when a
test asks, the public disclosure log's process), started the way the Procfile starts
them, against a real broker."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import requests

from cia_common.auth import mint_token
from cia_common.config import LOCAL_JWT_SECRET

REPO = Path(__file__).resolve().parents[2]
SERVICES = {
    "authoring": "cia_authoring",
    "review": "cia_review",
    "notifier": "cia_notifier",
}


def listening_socket() -> socket.socket:
    """A socket on a free port, already listening; gunicorn inherits it (``fd://``),
    so no other process can take the port between choosing it and serving on it."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


@dataclass
class System:
    kafka: str
    database_urls: dict[str, str]
    log_dir: Path
    web_processes: int = 1
    workers_per_service: int = 1
    workers: dict[str, int] = field(default_factory=dict)  # per-service override of the above
    extra_env: dict = field(default_factory=dict)
    prefix: str = field(default_factory=lambda: f"e2e{uuid.uuid4().hex[:8]}.")
    sockets: dict[str, socket.socket] = field(
        default_factory=lambda: {s: listening_socket() for s in SERVICES})
    procs: dict[str, list[subprocess.Popen]] = field(default_factory=dict)
    ports: dict[str, int] = field(init=False)
    # One metrics socket per worker slot of a service, kept across restarts, so a
    # restarted worker serves its metrics where its predecessor did.
    worker_sockets: dict[str, list[socket.socket]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.ports = {s: sock.getsockname()[1] for s, sock in self.sockets.items()}

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def worker_metrics_url(self, service: str, index: int = 0) -> str:
        return f"http://127.0.0.1:{self.worker_sockets[service][index].getsockname()[1]}"

    def env(self) -> dict:
        env = dict(os.environ)
        env.update({
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka,
            "CIA_TOPIC_PREFIX": self.prefix,
            "CIA_JWT_SECRET": LOCAL_JWT_SECRET,
            "CIA_ENV": "development",  # the only mode that takes the test suite's secret
            "CIA_AUTHORING_URL": self.url("authoring"),
            "CIA_REVIEW_URL": self.url("review"),
            "CIA_NOTIFIER_URL": self.url("notifier"),
            "CIA_WEBHOOK_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CIA_RETRY_SCHEDULE_SECONDS": "0.5,1,2,4",
            # LibreOffice takes seconds of CPU per approval: only the tests that read the
            # worker's PDFs turn the render-ahead on (a PDF asked for is made on request).
            "CIA_PDF_RENDER_AHEAD": "false",
            # Likewise the check by sight (a conversion and OCR per copy): a copy is read
            # when its release is asked for; test_foi_disclosure reads them ahead.
            "CIA_SIGHT_AHEAD": "false",
            # The stall watchdog sooner than its default (as tests.support.running_worker):
            # a consumer a busy machine leaves in its first group join, never
            # heartbeating, is replaced after 10 s rather than a minute.
            "CIA_CONSUMER_STALL_SECONDS": "10",
            "CIA_CONSUMER_JOIN_SECONDS": "10",
            "PYTHONUNBUFFERED": "1",
            "GUNICORN_ACCESSLOG": "-",
        })
        for service, url in self.database_urls.items():
            env[f"CIA_{service.upper()}_DATABASE_URL"] = url
        env.update(self.extra_env)
        return env

    def _spawn(self, name: str, argv: list[str], pass_fds=(), env=None) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "ab")
        return subprocess.Popen(argv, cwd=REPO, env={**self.env(), **(env or {})}, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True,
                                pass_fds=pass_fds)

    def start_web(self, service: str) -> None:
        fd = self.sockets[service].fileno()
        argv = [sys.executable, "-m", "gunicorn", "-c", str(REPO / "infra/gunicorn.conf.py"),
                "--bind", f"fd://{fd}",
                "--workers", str(self.web_processes), f"{SERVICES[service]}.wsgi:app"]
        self.procs.setdefault(f"{service}-web", []).append(
            self._spawn(f"{service}-web", argv, pass_fds=(fd,)))

    def start_public(self, database_url: str) -> str:
        """The public disclosure log's process, as the Procfile starts it, reading the
        published snapshots at ``database_url``; returns its base URL."""
        sock = self.sockets.setdefault("public", listening_socket())
        self.ports["public"] = sock.getsockname()[1]
        argv = [sys.executable, "-m", "gunicorn", "-c", str(REPO / "infra/gunicorn.conf.py"),
                "--bind", f"fd://{sock.fileno()}", "--workers", "2",
                "cia_authoring.public.wsgi:app"]
        self.procs.setdefault("public-web", []).append(self._spawn(
            "public-web", argv, pass_fds=(sock.fileno(),), env={
                "CIA_PUBLIC_DATABASE_URL": database_url,
                "CIA_PUBLIC_RATE_LIMIT_FILE": str(self.log_dir / "public-rate-limit.db")}))
        self.wait_ready("public")
        return self.url("public")

    def start_worker(self, service: str) -> None:
        argv = [sys.executable, "-m", f"{SERVICES[service]}.worker"]
        procs = self.procs.setdefault(f"{service}-worker", [])
        sockets = self.worker_sockets.setdefault(service, [])
        if len(sockets) <= len(procs):
            sockets.append(listening_socket())
        fd = sockets[len(procs)].fileno()
        procs.append(self._spawn(f"{service}-worker", argv, pass_fds=(fd,),
                                 env={"CIA_WORKER_METRICS_BIND": f"fd://{fd}"}))

    def start(self) -> "System":
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            self.start_web(service)
            for _ in range(self.workers.get(service, self.workers_per_service)):
                self.start_worker(service)
        for service in SERVICES:
            self.wait_ready(service)
        return self

    def wait_ready(self, service: str, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, procs in self.procs.items():
                for p in procs:
                    if p.poll() is not None:
                        raise RuntimeError(f"{name} exited with {p.returncode}; see {self.log_dir}")
            try:
                # Ready: the database and the broker reachable, the worker consuming.
                if requests.get(self.url(service) + "/readyz", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{service} did not start within {timeout}s; see {self.log_dir}")

    def stop_processes(self, name: str, sig: int = signal.SIGTERM) -> None:
        """Stop every process of one kind (``review-worker``...); SIGKILL with ``sig=9``."""
        procs = self.procs.pop(name, [])
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, sig)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)

    def stop(self) -> None:
        # Signal every process first, then wait: stopping one after another
        # costs a graceful-shutdown timeout per process.
        procs = [p for name in list(self.procs) for p in self.procs.pop(name)]
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)
        for sock in self.sockets.values():
            sock.close()
        for sock in (s for slots in self.worker_sockets.values() for s in slots):
            sock.close()

    def logs(self) -> str:
        return "\n".join(f"===== {p.name}\n{p.read_text(errors='replace')[-4000:]}"
                         for p in sorted(self.log_dir.glob("*.log")))


def token(sub: str, name: str, *roles: str) -> dict:
    """Authorization header for a locally minted token."""
    return {"Authorization": "Bearer " + mint_token(LOCAL_JWT_SECRET, sub=sub, name=name,
                                                   roles=list(roles))}
