"""Which webhook URLs may be delivered to (SSRF guard)."""
import pytest

from cia_notifier.destinations import DestinationRefused, check_url, resolve


def resolver(table):
    def _resolve(host, port):
        if host not in table:
            raise DestinationRefused(f"the host {host!r} cannot be resolved")
        return table[host]
    return _resolve


DNS = resolver({
    "hooks.example.com": ["93.184.215.14"],
    "internal.example.com": ["10.0.0.7"],
    "split.example.com": ["93.184.215.14", "192.168.1.10"],
    "v6.example.com": ["2606:4700::1111"],
    "localhost": ["127.0.0.1", "::1"],
    "127.0.0.1": ["127.0.0.1"],
    "169.254.169.254": ["169.254.169.254"],
    "::1": ["::1"],
    "::ffff:127.0.0.1": ["::ffff:127.0.0.1"],
    "fe80::1": ["fe80::1"],
    "172.20.0.5": ["172.20.0.5"],
})


@pytest.mark.parametrize("url", [
    "https://hooks.example.com/cia",
    "http://hooks.example.com:8080/x?y=1",
    "https://v6.example.com/",
])
def test_public_http_and_https_destinations_are_accepted(url):
    check_url(url, (), DNS)


@pytest.mark.parametrize("url,why", [
    ("ftp://hooks.example.com/x", "http and https"),
    ("file:///etc/passwd", "http and https"),
    ("https:///nohost", "no host"),
    ("https://internal.example.com/x", "10.0.0.7"),
    ("https://split.example.com/x", "192.168.1.10"),
    ("http://localhost:8000/x", "127.0.0.1"),
    ("http://127.0.0.1/x", "loopback"),
    ("http://169.254.169.254/latest/meta-data", "link-local"),
    ("http://[::1]/x", "::1"),
    ("http://[::ffff:127.0.0.1]/x", "private"),
    ("http://[fe80::1]/x", "fe80::1"),
    ("https://nowhere.invalid/x", "cannot be resolved"),
    ("http://hooks.example.com:99999/x", "not a valid URL"),
])
def test_private_loopback_link_local_and_odd_urls_are_refused(url, why):
    with pytest.raises(DestinationRefused, match=why):
        check_url(url, (), DNS)


def test_the_allow_list_admits_named_hosts_and_networks():
    check_url("http://localhost:8000/x", ("localhost",), DNS)
    check_url("http://127.0.0.1:9/x", ("127.0.0.1",), DNS)
    check_url("http://172.20.0.5/x", ("172.16.0.0/12",), DNS)
    check_url("https://internal.example.com/x", ("INTERNAL.example.com",), DNS)
    with pytest.raises(DestinationRefused):
        check_url("http://172.20.0.5/x", ("10.0.0.0/8",), DNS)
    # An allowed address does not admit a name resolving to other private addresses too.
    with pytest.raises(DestinationRefused, match="::1"):
        check_url("http://localhost:8000/x", ("127.0.0.1",), DNS)


def test_the_real_resolver_sees_loopback_for_localhost():
    assert "127.0.0.1" in resolve("127.0.0.1", 80)
    with pytest.raises(DestinationRefused, match="loopback"):
        check_url("http://127.0.0.1:8003/x", ())
    check_url("http://127.0.0.1:8003/x", ("127.0.0.1",))
