#!/usr/bin/env bash
# THE benchmark command: ./infra/bench.sh [bench.run args...]
# Sets up what the tests use (venv, throwaway broker, PostgreSQL), then runs
# every benchmark once and writes bench/results/latest.json.
set -euo pipefail
# shellcheck source=infra/test-stack.sh
source "$(dirname "${BASH_SOURCE[0]}")/test-stack.sh"

python -m bench.run "$@"
