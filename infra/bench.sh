#!/usr/bin/env bash
# THE benchmark command: ./infra/bench.sh [bench.run args...]
# Sets up what the tests use (venv, throwaway broker, PostgreSQL), then runs
# every benchmark once and writes bench/results/latest.json.
set -euo pipefail
# shellcheck source=infra/test-stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/test-stack.sh"

# CIA_BENCH_MODULE runs one benchmark alone on the same stack, e.g.
# CIA_BENCH_MODULE=bench.spans or bench.profile_writes (default bench.run).
python -m "${CIA_BENCH_MODULE:-bench.run}" "$@"
