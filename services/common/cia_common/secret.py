"""The HS256 secret the services verify bearer tokens with and derive their other
keys from (action links). Never a constant: outside development it must be given
as ``CIA_JWT_SECRET``; with ``CIA_ENV=development`` (what ``./infra/run.sh`` sets)
a random secret is generated once per checkout under ``.state/`` and shared by the
services and ``cia token``.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

ENVIRONMENTS = ("development", "production")

# Published in this repository for the test suite: anyone can mint with it, so it
# is refused outside development.
TEST_SUITE_SECRET = "cia-workflow-local-development-secret"


class SecretMissing(RuntimeError):
    """The process cannot run without a secret it was not given."""


def environment(env=None) -> str:
    env = os.environ if env is None else env
    mode = (env.get("CIA_ENV") or "production").strip().lower()
    if mode not in ENVIRONMENTS:
        raise SecretMissing(f"CIA_ENV must be one of {', '.join(ENVIRONMENTS)}, not {mode!r}.")
    return mode


def development_secret_file(env=None) -> Path:
    env = os.environ if env is None else env
    return Path(env.get("CIA_DEV_SECRET_FILE") or Path.cwd() / ".state" / "jwt-secret")


def development_secret(path: Path) -> str:
    """The checkout's generated secret, made on first use; atomic when several
    processes start at once (the file appears complete or not at all)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(48) + "\n")
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process made it first
        finally:
            tmp.unlink()
    return path.read_text().strip()


def jwt_secret(env=None, *, required: bool = True) -> str | None:
    """``CIA_JWT_SECRET``, or the generated one in development. ``required=False``
    (tokens verified against a JWKS) returns None rather than refusing."""
    env = os.environ if env is None else env
    mode = environment(env)
    given = env.get("CIA_JWT_SECRET")
    if given:
        if mode != "development" and given == TEST_SUITE_SECRET:
            raise SecretMissing("CIA_JWT_SECRET is the test suite's published secret; set a "
                                "long random value of your own (or CIA_ENV=development).")
        return given
    if mode == "development":
        return development_secret(development_secret_file(env))
    if not required:
        return None
    raise SecretMissing("CIA_JWT_SECRET is not set. Set it to a long random value (the HS256 "
                        "secret shared with `cia token`), or set CIA_ENV=development for a "
                        "generated local secret.")
