"""One webhook POST over a connection to the address the destination check approved.

Letting the HTTP client resolve the name again would open a DNS-rebinding
window: the second answer could be an internal address nobody checked. So the
connection goes to ``Destination.address``, while the Host header, the TLS SNI
and the certificate check still use the name.
"""
from __future__ import annotations

import threading

import urllib3
from requests.certs import where as ca_bundle

from .destinations import Destination

# The trust store the notifier has always used (certifi's, as requests ships it).
CA_CERTS = ca_bundle()

_local = threading.local()


def _pools() -> urllib3.PoolManager:
    # One manager per sending thread. Its pools are keyed by address, port and
    # (for https) the name, so a kept-alive connection is only ever reused for
    # the same checked address and name. Blind to proxy variables: the check is
    # about the host we actually connect to.
    manager = getattr(_local, "pools", None)
    if manager is None:
        manager = urllib3.PoolManager(num_pools=32, cert_reqs="CERT_REQUIRED", ca_certs=CA_CERTS)
        _local.pools = manager
    return manager


def post(dest: Destination, body: bytes, headers: dict[str, str], timeout: float
         ) -> urllib3.BaseHTTPResponse:
    """POST without following redirects or retrying; the caller closes the response.

    Raises ``urllib3.exceptions.HTTPError`` (``TimeoutError`` among them) when no
    answer comes.
    """
    tls = ({"server_hostname": dest.host, "assert_hostname": dest.host}
           if dest.scheme == "https" else None)
    pool = _pools().connection_from_host(dest.address, dest.port, dest.scheme, pool_kwargs=tls)
    return pool.urlopen("POST", dest.target, body=body,
                        headers={**headers, "Host": dest.host_header},
                        timeout=urllib3.Timeout(connect=timeout, read=timeout),
                        retries=False, redirect=False, preload_content=False)
