"""The ``cia`` command line. Service packages add their own commands here."""
from __future__ import annotations

import importlib
import os

import click

from .auth import ROLES, mint_token
from .secret import SecretMissing, jwt_secret

# Commands contributed by the services, each a module exposing ``commands``.
_PLUGIN_MODULES = ("cia_authoring.cli", "cia_notifier.cli")


@click.group()
def main() -> None:
    """CIA Workflow command line."""


@main.command()
@click.option("--sub", required=True, help="Subject: the user's stable id.")
@click.option("--name", required=True, help="Display name.")
@click.option("--role", "roles", required=True, multiple=True, type=click.Choice(ROLES),
              help="Role; repeat for several.")
@click.option("--ttl", default=8 * 3600, show_default=True, help="Lifetime in seconds.")
@click.option("--secret", envvar="CIA_JWT_SECRET", default=None, show_default=False,
              help="HS256 secret (default: $CIA_JWT_SECRET; with CIA_ENV=development, the "
                   "secret ./infra/run.sh generated under .state/).")
def token(sub: str, name: str, roles: tuple[str, ...], ttl: int, secret: str | None) -> None:
    """Print a bearer token that the locally run services accept."""
    # The same checks as the services (no published test secret outside development).
    env = {**os.environ, **({"CIA_JWT_SECRET": secret} if secret else {})}
    try:
        secret = jwt_secret(env)
    except SecretMissing as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(mint_token(secret, sub=sub, name=name, roles=list(roles), ttl_seconds=ttl))


for _module in _PLUGIN_MODULES:
    try:
        _mod = importlib.import_module(_module)
    except ModuleNotFoundError as exc:
        if exc.name != _module:  # a broken plugin must not pass silently
            raise
        continue
    for _cmd in getattr(_mod, "commands", []):
        main.add_command(_cmd)
