# Sourced by infra/test.sh and infra/bench.sh: the venv, Debian packages, a
# throwaway Kafka broker and the PostgreSQL test cluster, all stopped on exit.
# shellcheck shell=bash
# shellcheck source=infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CIA_REPO_ROOT"

# shellcheck disable=SC2317  # invoked by trap
cleanup() {
    local rc=$?
    trap - TERM
    trap '' INT # a second Ctrl-C must not leave the broker or PostgreSQL behind
    stop_started_kafka
    stop_started_postgres
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Two runs in one work tree would wipe each other's broker: take turns.
TEST_LOCK=".state/test-${CIA_TEST_KAFKA_PORT:-19092}.lock"
mkdir -p .state
exec {test_lock_fd}>"$TEST_LOCK"
if ! flock -n "$test_lock_fd"; then
    cia_log "another infra/test.sh run in this work tree holds $TEST_LOCK; waiting for it"
    flock "$test_lock_fd"
fi

ensure_venv
if ! ensure_debian_packages "${CIA_DEBIAN_PACKAGES[@]}"; then
    cia_is_ci && cia_die "Debian packages ${CIA_DEBIAN_PACKAGES[*]} are required in CI"
    cia_log "WARNING: PDF and browser tests will be skipped"
fi

# Never let an inherited KAFKA_BOOTSTRAP_SERVERS (e.g. from a shell used for
# ./infra/run.sh) point the tests, which create and delete topics, at a
# developer's broker; an external test broker must be asked for explicitly.
unset KAFKA_BOOTSTRAP_SERVERS CIA_TEST_KAFKA_LOCAL
if [[ -n "${CIA_TEST_KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
    export KAFKA_BOOTSTRAP_SERVERS="$CIA_TEST_KAFKA_BOOTSTRAP_SERVERS"
else
    export KAFKA_PORT="${CIA_TEST_KAFKA_PORT:-19092}"
    export KAFKA_CONTROLLER_PORT=$((KAFKA_PORT + 1))
    export KAFKA_STATE_DIR="$CIA_REPO_ROOT/.state/kafka-test-$KAFKA_PORT"
    # Leftover from a killed run: stop it, then start from empty storage.
    bash infra/kafka.sh stop 2>/dev/null || true
    rm -rf "$KAFKA_STATE_DIR"
    export CIA_TEST_KAFKA_LOCAL=1
fi
ensure_kafka

if [[ -n "${CIA_TEST_POSTGRES_URL:-}" ]]; then
    cia_log "using PostgreSQL at CIA_TEST_POSTGRES_URL (not starting one)"
elif start_postgres; then
    export CIA_TEST_POSTGRES_URL="$CIA_PG_URL"
elif cia_is_ci; then
    cia_die "PostgreSQL could not be started and CI=$CI: the PostgreSQL variants of the tests are mandatory in CI"
else
    cia_log "WARNING: PostgreSQL could not be started; PostgreSQL test variants will be SKIPPED"
    unset CIA_TEST_POSTGRES_URL
fi

cia_log "KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS CIA_TEST_POSTGRES_URL=${CIA_TEST_POSTGRES_URL:-<unset>}"
