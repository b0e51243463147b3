#!/usr/bin/env bash
# THE test command: ./infra/test.sh [pytest args...]
# Works from a fresh clone: creates .venv, starts a throwaway Kafka broker
# (port 19092, state under .state/, wiped every run so no clash with a local
# system on 9092) and the PostgreSQL test cluster, runs pytest from the repo
# root, and stops what it started on the way out.
#
# Env in:  CI=true                          PostgreSQL is mandatory
#          CIA_TEST_KAFKA_PORT (19092)      port of the test broker (controller: +1)
#          CIA_TEST_KAFKA_BOOTSTRAP_SERVERS use this broker instead of starting one
#          CIA_TEST_POSTGRES_URL            use this database instead of starting one
#          PG_PORT / PG_STATE_DIR           see infra/postgres.sh
# Env out: KAFKA_BOOTSTRAP_SERVERS, CIA_TEST_POSTGRES_URL (unset = no PostgreSQL),
#          and, when the broker is ours, CIA_TEST_KAFKA_LOCAL=1 plus KAFKA_PORT /
#          KAFKA_CONTROLLER_PORT / KAFKA_STATE_DIR, so a fault test can run
#          `infra/kafka.sh stop|start` on the test broker.
set -euo pipefail

# shellcheck source=infra/test-stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/test-stack.sh"

# One spelling for the processes the tests start (tests/support.is_ci reads the
# same values as cia_is_ci).
if cia_is_ci; then
    export CI=true
fi

# Two passes: every test that leaves the shared broker alone on two xdist workers
# (CIA_TEST_WORKERS), then alone the tests that stop and start the broker. Exit 5
# (nothing selected) is fine for one pass, a failure for both.
workers="${CIA_TEST_WORKERS:-2}"
parallel_rc=0
CIA_TEST_PASS=parallel python -m pytest -n "$workers" --dist worksteal "$@" || parallel_rc=$?
serial_rc=0
CIA_TEST_PASS=serial python -m pytest -p no:xdist "$@" || serial_rc=$?
if [[ "$parallel_rc" -eq 5 && "$serial_rc" -eq 5 ]]; then
    cia_log "ERROR: pytest collected no tests (exit 5); treating that as a failure"
    exit 1
fi
for rc in "$parallel_rc" "$serial_rc"; do
    if [[ "$rc" -ne 0 && "$rc" -ne 5 ]]; then
        exit "$rc"
    fi
done
exit 0
