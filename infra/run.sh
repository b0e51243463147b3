#!/usr/bin/env bash
# THE run command: ./infra/run.sh
# Starts the whole system locally: .venv, the local Kafka broker on 9092
# (unless KAFKA_BOOTSTRAP_SERVERS points elsewhere), then every process in the
# Procfile under honcho. Ctrl-C stops the services first, then the broker if
# this script started it (its data is kept in .state/kafka-9092).
#
# Env: KAFKA_BOOTSTRAP_SERVERS (use an existing broker), KAFKA_PORT (9092),
#      CIA_PROCFILE (Procfile). Exported to the services: KAFKA_BOOTSTRAP_SERVERS,
#      CIA_DATA_DIR (<repo>/.state/data, where the SQLite files live), CIA_ENV
#      (development) and CIA_JWT_SECRET (random, generated once per checkout in
#      .state/jwt-secret, which `cia token` reads with CIA_ENV=development).
set -euo pipefail

# shellcheck source=infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CIA_REPO_ROOT"

PROCFILE="${CIA_PROCFILE:-Procfile}"
[[ -f "$PROCFILE" ]] || cia_die "$PROCFILE not found in $CIA_REPO_ROOT"

HONCHO_PID=
READY_PID=
# shellcheck disable=SC2317  # invoked by trap
cleanup() {
    local rc=$?
    trap - TERM
    trap '' INT # a second Ctrl-C must not abandon the broker half-way
    # The readiness watch ignores Ctrl-C (a background job does): stop it.
    if [[ -n "$READY_PID" ]]; then kill "$READY_PID" 2>/dev/null || true; fi
    stop_honcho
    stop_started_kafka
    exit "$rc"
}
# shellcheck disable=SC2317  # invoked from the trap
stop_honcho() {
    if [[ -n "$HONCHO_PID" ]] && kill -0 "$HONCHO_PID" 2>/dev/null; then
        # honcho treats TERM like Ctrl-C: it stops its processes, then exits.
        kill -TERM "$HONCHO_PID" 2>/dev/null || true
        wait "$HONCHO_PID" 2>/dev/null || true
    fi
    HONCHO_PID=
}
# "ready" once every web process in the Procfile answers /readyz with 200: its database
# and the broker reachable and its worker consuming its topics (cia_common.web). One
# Python process (stopped by the cleanup: a background job ignores Ctrl-C).
announce_ready() {
    # shellcheck disable=SC2046  # one argument per port
    exec python - $(grep -o -- '--bind 127.0.0.1:[0-9]*' "$PROCFILE" | cut -d: -f2) <<'PY'
import sys
import time
import urllib.request

ports, deadline = sys.argv[1:], time.monotonic() + 300


def ready(port: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=2) as answer:
            return answer.status == 200
    except OSError:  # refused, or 503 (an HTTPError)
        return False


while time.monotonic() < deadline:
    if all(ready(port) for port in ports):
        print(f"run.sh: ready: every service answers /readyz on 127.0.0.1 ports {' '.join(ports)}",
              file=sys.stderr, flush=True)
        sys.exit(0)
    time.sleep(0.3)
print("run.sh: WARNING: not ready after 300 s; /readyz of each service says why",
      file=sys.stderr, flush=True)
PY
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_venv
# PDF copies need LibreOffice; without it the services still run and say so on PDF requests.
ensure_debian_packages libreoffice-writer-nogui fonts-dejavu-core fonts-liberation2 ||
    cia_log "WARNING: LibreOffice missing: PDF documents will be unavailable"
export CIA_DATA_DIR="$CIA_REPO_ROOT/.state/data"
mkdir -p "$CIA_DATA_DIR"
# The local run is development: without a CIA_JWT_SECRET of its own, the services
# share a random one generated once for this checkout (never a constant).
export CIA_ENV="${CIA_ENV:-development}"
if [[ -z "${CIA_JWT_SECRET:-}" ]]; then
    CIA_JWT_SECRET="$(CIA_DEV_SECRET_FILE="$CIA_REPO_ROOT/.state/jwt-secret" \
        python -c 'from cia_common.secret import jwt_secret; print(jwt_secret())')"
    export CIA_JWT_SECRET
fi
# The local run delivers webhooks to receivers on this machine; production
# configurations leave loopback and private addresses refused.
export CIA_WEBHOOK_ALLOWED_HOSTS="${CIA_WEBHOOK_ALLOWED_HOSTS:-127.0.0.1,localhost}"
ensure_kafka
cia_log "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS CIA_DATA_DIR=$CIA_DATA_DIR"

# Not exec (the traps must survive to stop the broker) and not a foreground
# child (bash would defer a TERM trap until honcho exits, i.e. never): run it
# in the background and wait, which signals interrupt. On Ctrl-C or TERM the
# trap sends honcho TERM (it may also get the terminal's SIGINT; it handles
# both the same way), waits for it to stop the services, then stops the
# broker, which runs in its own session so the Ctrl-C never reaches it.
honcho -f "$PROCFILE" start &
HONCHO_PID=$!
(announce_ready) &
READY_PID=$!
rc=0
wait "$HONCHO_PID" || rc=$?
HONCHO_PID=
exit "$rc"
