"""Which resolved addresses a webhook may be sent to: the allow-list and the
public-address rules behind ``destinations``.

No Flask, no SQLAlchemy, no network: everything here is a plain function.
"""
from __future__ import annotations

import ipaddress


def parse_allow_list(entries) -> tuple[set[str], list]:
    """Split allow-list entries into host names and networks."""
    hosts: set[str] = set()
    networks = []
    for entry in entries:
        entry = entry.strip().lower()
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
        except ValueError:
            hosts.add(entry.rstrip("."))
    return hosts, networks


_NAT64 = ipaddress.ip_network("64:ff9b::/96")           # RFC 6052 well-known prefix
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")    # RFC 8215, local use
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")         # deprecated ::a.b.c.d


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address reaches through a translation or tunnel:
    IPv4-mapped, IPv4-compatible, NAT64, 6to4 and Teredo (server and client)."""
    out = []
    if ip.ipv4_mapped is not None:
        out.append(ip.ipv4_mapped)
    if ip in _IPV4_COMPATIBLE or ip in _NAT64:
        out.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    if ip.sixtofour is not None:
        out.append(ip.sixtofour)
    if ip.teredo is not None:
        out.extend(ip.teredo)
    return out


def is_public(address) -> bool:
    """False for private, loopback, link-local, multicast, reserved, unspecified...,
    and for an IPv6 form that leads to such an IPv4 address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _NAT64_LOCAL:
            return False
        embedded = embedded_ipv4(ip)
        if embedded:
            # ::/96 also holds :: and ::1, which are not IPv4-compatible forms.
            if ip in _IPV4_COMPATIBLE and int(ip) <= 1:
                return False
            return all(is_public(v4) for v4 in embedded)
    return ip.is_global and not ip.is_multicast


def refused_addresses(host: str, addresses, allowed_entries) -> list[str]:
    """The resolved addresses of ``host`` that it may not be delivered to.

    A host named on the allow-list is admitted whatever it resolves to; otherwise
    every address must be public or inside an allowed network (one bad address is
    enough to refuse: the resolver may hand out either).
    """
    hosts, networks = parse_allow_list(allowed_entries)
    if host.lower().rstrip(".").strip("[]") in hosts:
        return []
    refused = []
    for address in addresses:
        ip = ipaddress.ip_address(address)
        if any(ip.version == n.version and ip in n for n in networks):
            continue
        if not is_public(ip):
            refused.append(str(ip))
    return refused
