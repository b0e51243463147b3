# shellcheck shell=bash
# Shared helpers for infra/test.sh and infra/run.sh; source it, don't run it.
# All messages go to stderr so callers can keep stdout for results.

CIA_REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CIA_VENV="$CIA_REPO_ROOT/.venv"

cia_log() { printf '%s: %s\n' "$(basename "$0")" "$*" >&2; }
cia_die() { cia_log "ERROR: $*"; exit 1; }

# python3.11 if present, else python3 if it is new enough (pyproject: >=3.11).
cia_find_python() {
    local py
    for py in python3.11 python3; do
        if command -v "$py" >/dev/null 2>&1 &&
            "$py" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            echo "$py"
            return 0
        fi
    done
    return 1
}

# Create <repo>/.venv if needed and (re)install the project with its test
# extras when pyproject.toml changed since the last successful install.
# Leaves the venv first on PATH.
ensure_venv() {
    local marker="$CIA_VENV/.cia-installed" py lockfd
    mkdir -p "$CIA_REPO_ROOT/.state"
    # test.sh and run.sh may be started together on a fresh clone.
    exec {lockfd}>"$CIA_REPO_ROOT/.state/venv.lock"
    flock "$lockfd"
    if ! "$CIA_VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        py="$(cia_find_python)" || cia_die "Python >= 3.11 not found (tried python3.11, python3)"
        cia_log "creating $CIA_VENV with $py ($("$py" --version 2>&1))"
        rm -rf "$CIA_VENV"
        "$py" -m venv "$CIA_VENV" || cia_die "python -m venv failed"
        rm -f "$marker"
    fi
    if [[ ! -f "$marker" || "$CIA_REPO_ROOT/pyproject.toml" -nt "$marker" ||
          "$CIA_REPO_ROOT/constraints.txt" -nt "$marker" ]]; then
        cia_log "installing the project and test dependencies into .venv (pip install -e '.[test]')"
        (cd "$CIA_REPO_ROOT" &&
            "$CIA_VENV/bin/python" -m pip install -q --disable-pip-version-check \
                -c constraints.txt -e '.[test]' >&2) ||
            cia_die "pip install -e '.[test]' failed"
        touch "$marker"
    fi
    exec {lockfd}>&-
    export VIRTUAL_ENV="$CIA_VENV"
    export PATH="$CIA_VENV/bin:$PATH"
}

# Use $KAFKA_BOOTSTRAP_SERVERS if set; otherwise start the local broker
# (infra/kafka.sh, honouring KAFKA_PORT / KAFKA_STATE_DIR) and export its
# address. CIA_KAFKA_STARTED=1 records that we own it, for stop_started_kafka.
ensure_kafka() {
    if [[ -n "${KAFKA_BOOTSTRAP_SERVERS:-}" ]]; then
        cia_log "using Kafka at KAFKA_BOOTSTRAP_SERVERS=$KAFKA_BOOTSTRAP_SERVERS"
        export KAFKA_BOOTSTRAP_SERVERS
        return 0
    fi
    # Set before starting: if we are interrupted mid-start the trap still
    # stops the half-started broker. A broker that was already up is not ours.
    if ! bash "$CIA_REPO_ROOT/infra/kafka.sh" status >/dev/null 2>&1; then
        CIA_KAFKA_STARTED=1
    fi
    KAFKA_BOOTSTRAP_SERVERS="$(bash "$CIA_REPO_ROOT/infra/kafka.sh" start)" ||
        cia_die "could not start the local Kafka broker (see messages above)"
    export KAFKA_BOOTSTRAP_SERVERS
}

stop_started_kafka() {
    if [[ "${CIA_KAFKA_STARTED:-}" == 1 ]]; then
        bash "$CIA_REPO_ROOT/infra/kafka.sh" stop || cia_log "WARNING: stopping the Kafka broker failed"
        CIA_KAFKA_STARTED=
    fi
}

# Start the test PostgreSQL cluster (infra/postgres.sh, honouring PG_PORT /
# PG_STATE_DIR); prints its URL. Returns non-zero instead of exiting so the
# caller decides whether PostgreSQL is optional. Sets CIA_PG_STARTED=1 when
# we own the server. Call it directly, not in $(...), or that flag is lost.
start_postgres() {
    if ! bash "$CIA_REPO_ROOT/infra/postgres.sh" status >/dev/null 2>&1; then
        CIA_PG_STARTED=1
    fi
    # shellcheck disable=SC2034  # read by the caller
    CIA_PG_URL="$(bash "$CIA_REPO_ROOT/infra/postgres.sh" start)" || return 1
}

stop_started_postgres() {
    if [[ "${CIA_PG_STARTED:-}" == 1 ]]; then
        bash "$CIA_REPO_ROOT/infra/postgres.sh" stop || cia_log "WARNING: stopping PostgreSQL failed"
        CIA_PG_STARTED=
    fi
}

# Debian packages the system needs beside Python: LibreOffice converts DOCX to
# PDF (Writer) and, in a test, opens every CSV export as a spreadsheet (Calc),
# Chromium drives the browser tests, prometheus brings promtool, which checks
# and unit-tests the alert rules. Installed when missing (as root).
CIA_DEBIAN_PACKAGES=(libreoffice-writer-nogui libreoffice-calc-nogui fonts-dejavu-core fonts-liberation2
                     chromium prometheus tesseract-ocr tesseract-ocr-eng)

ensure_debian_packages() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    [[ ${#missing[@]} -eq 0 ]] && return 0
    if [[ $(id -u) -ne 0 ]]; then
        cia_log "WARNING: missing Debian packages (${missing[*]}); install them as root"
        return 1
    fi
    cia_log "installing Debian packages: ${missing[*]} (first run only)"
    {
        apt-get update -q &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    } >&2 || cia_die "apt-get install ${missing[*]} failed"
}

cia_is_ci() {
    case "${CI:-}" in
    true | TRUE | True | 1 | yes) return 0 ;;
    *) return 1 ;;
    esac
}
