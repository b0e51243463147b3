"""The ``cia`` command line. Service packages add their own commands here."""
from __future__ import annotations

import os
from importlib.metadata import entry_points

import click

from .auth import ROLES, mint_token
from .secret import SecretMissing, jwt_secret

# Commands contributed by the installed services: each entry point of the group
# names a module exposing ``commands``, so this package names no service.
PLUGIN_GROUP = "cia.commands"


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


@main.command()
@click.option("--service", type=click.Choice(["authoring", "review", "notifier"]), default=None,
              help="Only the channels of this service (default: the whole system).")
@click.option("--write", "path", type=click.Path(dir_okay=False), default=None,
              help="Write it to this file (e.g. docs/asyncapi.json) instead of printing it.")
def asyncapi(service: str | None, path: str | None) -> None:
    """Print the AsyncAPI 3.0 document of the events, made from their contracts."""
    from cia_schemas.asyncapi import document, to_json
    text = to_json(document(service))
    if path is None:
        click.echo(text, nl=False)
    else:
        with open(path, "w", encoding="utf-8") as out:
            out.write(text)


for _entry in entry_points(group=PLUGIN_GROUP):
    for _cmd in getattr(_entry.load(), "commands", []):
        main.add_command(_cmd)
