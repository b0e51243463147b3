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
#          KAFKA_CONTROLLER_PORT / KAFKA_STATE_DIR (bench/recovery.py stops it).
set -euo pipefail

# shellcheck source=infra/test-stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/test-stack.sh"

# One spelling for the processes the tests start (tests/support.is_ci reads the
# same values as cia_is_ci).
if cia_is_ci; then
    export CI=true
fi

# Every test on two xdist workers (CIA_TEST_WORKERS); the tests that stop a broker
# stop one of their own (tests/conftest.py broker_control), never the shared one.
# Exit 5 means pytest collected nothing: a failure here.
workers="${CIA_TEST_WORKERS:-2}"
rc=0
python -m pytest -n "$workers" --dist worksteal "$@" || rc=$?
if [[ "$rc" -eq 5 ]]; then
    cia_log "ERROR: pytest collected no tests (exit 5); treating that as a failure"
    exit 1
fi
exit "$rc"
