"""Which webhook URLs may be delivered to (SSRF guard)."""
import pytest

from cia_notifier.subscriptions.destinations import DestinationRefused, check_url, resolve


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


@pytest.mark.parametrize("address", [
    "64:ff9b::a00:1",          # NAT64 of 10.0.0.1
    "64:ff9b::7f00:1",         # NAT64 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",      # NAT64 of 169.254.169.254
    "64:ff9b:1::a00:1",        # local-use NAT64 prefix
    "2002:a00:1::",            # 6to4 of 10.0.0.1
    "2002:7f00:1::1",          # 6to4 of 127.0.0.1
    "::a00:1",                 # IPv4-compatible 10.0.0.1
    "::7f00:1",                # IPv4-compatible 127.0.0.1
    "::ffff:a00:1",            # IPv4-mapped 10.0.0.1
    "2001:0:4136:e378:8000:63bf:f5ff:fffe",  # Teredo, client 10.0.0.1 (obfuscated)
    "2001:0:a00:1:8000:63bf:3fff:fdd2",      # Teredo, server 10.0.0.1
])
def test_ipv6_forms_of_refused_ipv4_ranges_are_refused(address):
    with pytest.raises(DestinationRefused, match="private"):
        check_url("https://tunnel.example.com/hook", (), resolver({"tunnel.example.com": [address]}))
    with pytest.raises(DestinationRefused):
        check_url(f"https://[{address}]/hook", (), resolver({address: [address]}))


@pytest.mark.parametrize("address", ["64:ff9b::5db8:d70e", "2002:5db8:d70e::1"])
def test_ipv6_forms_of_public_ipv4_addresses_are_accepted(address):
    check_url("https://tunnel.example.com/hook", (), resolver({"tunnel.example.com": [address]}))


@pytest.mark.parametrize("url,address,host_header,target", [
    ("https://hooks.example.com/cia", "93.184.215.14", "hooks.example.com", "/cia"),
    ("http://hooks.example.com:8080/x?y=1", "93.184.215.14", "hooks.example.com:8080", "/x?y=1"),
    ("https://v6.example.com", "2606:4700::1111", "v6.example.com", "/"),
    ("http://[::1]:9000/h", "::1", "[::1]:9000", "/h"),
])
def test_the_check_answers_the_address_it_approved_and_the_name_to_send(url, address,
                                                                        host_header, target):
    dest = check_url(url, ("::1",), DNS)
    assert (dest.address, dest.host_header, dest.target) == (address, host_header, target)


def test_the_approved_address_is_one_of_those_checked_and_the_resolver_is_asked_once():
    calls = []

    def once(host, port):
        calls.append((host, port))
        return ["93.184.215.14", "93.184.215.15"]
    dest = check_url("https://hooks.example.com/x", (), once)
    assert calls == [("hooks.example.com", 443)]
    assert dest.address in ("93.184.215.14", "93.184.215.15") and dest.port == 443
