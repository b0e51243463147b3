"""Is a webhook URL a destination we may send to?

Checked when a subscription is created or changed, and again before every
attempt, because a name can be re-pointed at an internal address later. The
check answers with the address it approved, and the attempt connects there
(see ``egress``) instead of resolving the name a second time.
"""
from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urlsplit

from .addresses import refused_addresses

Resolver = Callable[[str, int], list[str]]


class DestinationRefused(ValueError):
    """The URL is not one we deliver to; the message says why."""


def resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DestinationRefused(f"the host {host!r} cannot be resolved ({exc})") from None
    return sorted({info[4][0].split("%", 1)[0] for info in infos})


@dataclass(frozen=True)
class Destination:
    """A checked URL: the name it is addressed to and the approved address to connect to."""
    scheme: str
    host: str
    port: int
    target: str    # path and query, as sent in the request line
    address: str   # one of the host's resolved addresses, every one of which passed the check

    @property
    def host_header(self) -> str:
        name = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return name if self.port == default else f"{name}:{self.port}"


def check_url(url: str, allowed_hosts, resolver: Resolver = resolve) -> Destination:
    """Raise ``DestinationRefused`` unless ``url`` is an http(s) URL whose host
    resolves only to public addresses (or is admitted by ``allowed_hosts``);
    otherwise answer where to connect."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise DestinationRefused(f"not a valid URL: {exc}") from None
    if parts.scheme not in ("http", "https"):
        raise DestinationRefused("only http and https URLs are accepted")
    host = parts.hostname
    if not host:
        raise DestinationRefused("the URL has no host")
    if port is None:
        port = 443 if parts.scheme == "https" else 80
    addresses = resolver(host, port)
    if not addresses:
        raise DestinationRefused(f"the host {host!r} has no address")
    refused = refused_addresses(host, addresses, allowed_hosts)
    if refused:
        raise DestinationRefused(
            f"the host {host!r} resolves to a private, loopback or link-local address "
            f"({', '.join(refused)}); such destinations are not allowed")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Destination(parts.scheme, host, port, target, addresses[0])
