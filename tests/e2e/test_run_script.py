"""``./infra/run.sh`` starts everything and Ctrl-C stops everything it started
(README, "The two commands"): the three gunicorn masters and their workers, the
three service workers, honcho and the Kafka JVM the script started for itself.

The script runs beside the suite's own broker: its broker, services and worker
metrics are moved to free ports (``KAFKA_PORT``, ``KAFKA_CONTROLLER_PORT``,
``KAFKA_STATE_DIR``, a Procfile of the same commands on other ports through
``CIA_PROCFILE``, ``CIA_<SERVICE>_WORKER_METRICS_BIND``) and its databases to
SQLite files of the test's own (``CIA_<SERVICE>_DATABASE_URL``). Ctrl-C is what a
terminal sends: SIGINT to the script's whole process group."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
import requests

from tests.support import free_ports, wait_for

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
SERVICES = {"authoring": 8001, "review": 8002, "notifier": 8003}
PUBLIC_LOG = 8004  # the public disclosure log's own process


def processes() -> dict[int, tuple[int, int, str, str]]:
    """Every process: pid -> (parent pid, session id, state, command line)."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue  # gone meanwhile
        fields = stat.rsplit(")", 1)[1].split()
        out[int(entry)] = (int(fields[1]), int(fields[3]), fields[0], cmdline.strip())
    return out


def descendants(root: int, table) -> set[int]:
    found, frontier = set(), {root}
    while frontier:
        frontier = {pid for pid, (ppid, *_rest) in table.items() if ppid in frontier} - found
        found |= frontier
    return found


def alive(pid: int, cmdline: str) -> bool:
    """Running (not a zombie) and still the same program (a pid can be reused)."""
    entry = processes().get(pid)
    return entry is not None and entry[2] != "Z" and entry[3] == cmdline


def test_run_sh_starts_everything_and_ctrl_c_stops_it_all(tmp_path):
    kafka_port, controller_port, *ports = free_ports(9)
    web = dict(zip(SERVICES, ports[:3]))
    metrics = dict(zip(SERVICES, ports[3:6]))
    public = ports[6]
    procfile = (REPO / "Procfile").read_text()
    for service, default in (*SERVICES.items(), ("public", PUBLIC_LOG)):
        assert f"127.0.0.1:{default}" in procfile
        procfile = procfile.replace(f"127.0.0.1:{default}",
                                    f"127.0.0.1:{public if service == 'public' else web[service]}")
    (tmp_path / "Procfile").write_text(procfile)
    state = tmp_path / "kafka"
    env = {k: v for k, v in os.environ.items() if k != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update({
        "CIA_PROCFILE": str(tmp_path / "Procfile"),
        "KAFKA_PORT": str(kafka_port), "KAFKA_CONTROLLER_PORT": str(controller_port),
        "KAFKA_STATE_DIR": str(state), "KAFKA_HEAP_OPTS": "-Xms128m -Xmx384m",
        "CIA_TOPIC_PREFIX": f"run{uuid.uuid4().hex[:8]}.",
        "WEB_CONCURRENCY": "1", "PYTHONUNBUFFERED": "1",
    })
    for service in SERVICES:
        env[f"CIA_{service.upper()}_DATABASE_URL"] = f"sqlite:///{tmp_path / service}.db"
        env[f"CIA_{service.upper()}_URL"] = f"http://127.0.0.1:{web[service]}"
        env[f"CIA_{service.upper()}_WORKER_METRICS_BIND"] = f"127.0.0.1:{metrics[service]}"
    # The copy of the published snapshots the authoring worker writes and the log reads.
    env["CIA_PUBLIC_DATABASE_URL"] = f"sqlite:///{tmp_path / 'authoring-public.db'}"
    env["CIA_PUBLIC_RATE_LIMIT_FILE"] = str(tmp_path / "public-rate-limit.db")
    log = (tmp_path / "run.log").open("wb")
    # Its own session and process group, like a foreground job in a terminal.
    script = subprocess.Popen(["bash", str(REPO / "infra/run.sh")], cwd=REPO, env=env,
                              stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    started: dict[int, str] = {}
    try:
        def up(url: str) -> bool:
            assert script.poll() is None, (tmp_path / "run.log").read_text()[-3000:]
            try:
                return requests.get(url, timeout=2).status_code == 200
            except requests.RequestException:
                return False

        for service in SERVICES:
            # Ready: its database and the script's broker reachable; and the worker up.
            wait_for(lambda: up(f"http://127.0.0.1:{web[service]}/readyz"), 240,
                     interval=0.5, message=f"{service} ready")
            wait_for(lambda: up(f"http://127.0.0.1:{metrics[service]}/metrics"), 120,
                     interval=0.5, message=f"{service} worker serving its metrics")
        wait_for(lambda: up(f"http://127.0.0.1:{public}/readyz"), 120, interval=0.5,
                 message="the public disclosure log ready")
        # The script says "ready" once every /readyz answers 200 (workers consuming); the
        # process that watched for it is gone then.
        wait_for(lambda: b"ready: every service answers /readyz" in (tmp_path / "run.log").read_bytes(),
                 60, interval=0.3, message="run.sh saying ready")
        watch = " - " + " ".join(re.findall(r"--bind 127\.0\.0\.1:(\d+)", procfile))

        def watching() -> bool:
            table = processes()
            return any(table[pid][3].strip().endswith(watch)
                       for pid in descendants(script.pid, table))

        assert watch  # what the watch's command line ends with: python - <the web ports, Procfile order>
        wait_for(lambda: not watching(), 30, interval=0.2, message="the readiness watch to end")
        table = processes()
        started = {pid: table[pid][3] for pid in descendants(script.pid, table)}
        jvm = int((state / "kafka.pid").read_text())
        started[jvm] = table[jvm][3]
        # The programs themselves, not the shells honcho starts them with.
        commands = [c for c in started.values() if not c.startswith("/bin/sh -c")]
        # Positive control: everything that must stop is running now.
        assert str(state) in started[jvm] and "kafka.Kafka" in started[jvm]
        assert table[jvm][1] != script.pid  # the broker runs in a session of its own
        assert any("/honcho " in c for c in commands), commands
        for module in ("cia_authoring", "cia_review", "cia_notifier"):
            gunicorns = [c for c in commands if "/gunicorn " in c and f"{module}.wsgi" in c]
            assert len(gunicorns) == 2, (module, commands)  # master and its worker
            assert [c for c in commands if c.endswith(f"-m {module}.worker")] != [], commands
        assert len([c for c in commands if "/gunicorn " in c
                    and "cia_authoring.public.wsgi" in c]) == 2, commands
        assert all(alive(pid, cmd) for pid, cmd in started.items())

        os.killpg(script.pid, signal.SIGINT)  # Ctrl-C
        script.wait(timeout=180)
        # Read before the clean-up below kills what a failure left behind.
        left = [cmd for pid, cmd in started.items() if alive(pid, cmd)]
        in_session = [c for pid, (_p, sid, st, c) in processes().items()
                      if sid == script.pid and st != "Z"]
        listening = []
        for port in (kafka_port, controller_port, public, *web.values(), *metrics.values()):
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    listening.append(port)
    finally:
        if script.poll() is None:  # the test failed before or during the stop
            os.killpg(script.pid, signal.SIGKILL)
            script.wait(30)
        for pid, cmd in started.items():
            if alive(pid, cmd):
                os.kill(pid, signal.SIGKILL)
        log.close()

    assert left == [], (left, (tmp_path / "run.log").read_text()[-2000:])
    # Nothing else of its session either, and the broker's ports and pid file are free.
    assert in_session == [] and listening == []
    assert not (state / "kafka.pid").exists()
