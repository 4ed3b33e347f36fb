"""Tests for pipeline.netpolicy: the redirect address policy as pure functions (no DNS, no traffic)."""

from __future__ import annotations

import pytest

from pipeline.netpolicy import IPAddress, address_class, check_redirect, is_public_address, parse_address


def ip(text: str) -> IPAddress:
    parsed = parse_address(text)
    assert parsed is not None, text
    return parsed


def ips(*texts: str) -> list[IPAddress]:
    return [ip(text) for text in texts]


PUBLIC = [
    "8.8.8.8",
    "1.1.1.1",
    "93.184.216.34",
    "100.63.255.255",  # just below CGNAT
    "100.128.0.0",  # just above CGNAT
    "172.15.255.255",  # just below 172.16/12
    "172.32.0.0",  # just above it
    "11.0.0.1",
    "223.255.255.254",
    "2606:4700:4700::1111",
    "2a00:1450:4001:81c::200e",
    "::ffff:8.8.8.8",  # IPv4-mapped public
    "64:ff9b::808:808",  # NAT64 of 8.8.8.8
    "2002:808:808::1",  # 6to4 of 8.8.8.8
]

NOT_PUBLIC = [
    ("0.0.0.0", "unspecified"),
    ("::", "unspecified"),
    ("127.0.0.1", "loopback"),
    ("127.255.255.254", "loopback"),
    ("::1", "loopback"),
    ("10.0.0.1", "private"),
    ("10.255.255.255", "private"),
    ("172.16.0.1", "private"),
    ("172.31.255.255", "private"),
    ("192.168.0.1", "private"),
    ("fc00::1", "private (unique local)"),
    ("fd12:3456:789a::1", "private (unique local)"),
    ("169.254.169.254", "link-local"),  # cloud metadata service
    ("fe80::1", "link-local"),
    ("fe80::1%eth0", "link-local"),
    ("100.64.0.1", "shared (CGNAT)"),
    ("100.127.255.255", "shared (CGNAT)"),
    ("224.0.0.1", "multicast"),
    ("239.255.255.250", "multicast"),
    ("ff02::1", "multicast"),
    ("ff0e::1", "multicast"),  # global-scope multicast is still not a host
    ("fec0::1", "site-local"),
    ("255.255.255.255", "reserved"),
    ("240.0.0.1", "reserved"),
    ("0.1.2.3", "special-purpose"),  # "this network"
    ("192.0.0.8", "special-purpose"),
    ("192.0.2.1", "special-purpose"),  # documentation
    ("198.18.0.1", "special-purpose"),  # benchmarking
    ("2001:db8::1", "special-purpose"),  # documentation
    ("::ffff:127.0.0.1", "IPv4-mapped loopback"),
    ("::ffff:10.0.0.1", "IPv4-mapped private"),
    ("::ffff:169.254.169.254", "IPv4-mapped link-local"),
    ("::ffff:100.64.0.1", "IPv4-mapped shared (CGNAT)"),
    ("::ffff:0.0.0.0", "IPv4-mapped unspecified"),
    ("64:ff9b::7f00:1", "NAT64 loopback"),
    ("64:ff9b::a9fe:a9fe", "NAT64 link-local"),
    ("64:ff9b:1::1", "local NAT64"),
    ("2002:7f00:1::", "6to4 loopback"),
    ("2002:c0a8:101::1", "6to4 private"),
    ("::127.0.0.1", "IPv4-compatible loopback"),
    ("::8.8.8.8", "IPv4-compatible deprecated"),
]


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses(address: str) -> None:
    assert address_class(ip(address)) is None
    assert is_public_address(ip(address))


@pytest.mark.parametrize(("address", "reason"), NOT_PUBLIC, ids=[a for a, _ in NOT_PUBLIC])
def test_non_public_addresses_say_why(address: str, reason: str) -> None:
    assert address_class(ip(address)) == reason
    assert not is_public_address(ip(address))


@pytest.mark.parametrize(
    ("text", "expected"),
    [("127.0.0.1", "127.0.0.1"), ("[::1]", "::1"), ("::ffff:10.0.0.1", "::ffff:a00:1")],
)
def test_parse_address(text: str, expected: str) -> None:
    assert str(parse_address(text)) == expected


@pytest.mark.parametrize(
    "text", ["localhost", "example.org", "2130706433", "0x7f.1", "127.1", "", "1.2.3.4.5"]
)
def test_names_and_odd_numeric_forms_are_not_literal_addresses(text: str) -> None:
    # Forms like 2130706433 or 0x7f.1 reach 127.0.0.1 through getaddrinfo: they go to the
    # resolver, which is what judges them, never a literal parse that would miss them.
    assert parse_address(text) is None


# --- check_redirect ----------------------------------------------------------------------------

PUBLIC_ORIGIN = ips("93.184.216.34")


def test_public_to_public_is_allowed() -> None:
    assert check_redirect(PUBLIC_ORIGIN, "cdn.example", ips("151.101.1.1")) is None


@pytest.mark.parametrize(("address", "reason"), NOT_PUBLIC, ids=[a for a, _ in NOT_PUBLIC])
def test_public_to_any_non_public_is_refused(address: str, reason: str) -> None:
    refusal = check_redirect(PUBLIC_ORIGIN, address, ips(address))
    assert refusal == f"redirect from a public feed to a {reason} address refused: {address}"


def test_host_name_with_one_private_address_among_public_ones_is_refused() -> None:
    # The client may connect to any address of the name (DNS round robin), so one is enough.
    refusal = check_redirect(PUBLIC_ORIGIN, "mixed.example", ips("151.101.1.1", "10.0.0.7", "2606:4700::1"))
    assert refusal == "redirect from a public feed to a private address refused: mixed.example (10.0.0.7)"


def test_host_name_resolving_to_nothing_is_refused() -> None:
    refusal = check_redirect(PUBLIC_ORIGIN, "void.example", [])
    assert refusal == "redirect to void.example refused: it resolves to no address that could be checked"


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param(ips("127.0.0.1"), id="loopback"),
        pytest.param(ips("127.0.0.1", "::1"), id="localhost-both-families"),
        pytest.param(ips("10.1.2.3"), id="intranet"),
        pytest.param(ips("192.168.1.10", "fd00::10"), id="private-dual-stack"),
    ],
)
@pytest.mark.parametrize("target", ["127.0.0.1", "10.9.9.9", "169.254.169.254", "8.8.8.8"])
def test_feed_configured_on_a_non_public_address_may_redirect_anywhere(
    origin: list[IPAddress], target: str
) -> None:
    assert check_redirect(origin, target, ips(target)) is None


def test_origin_with_any_public_address_counts_as_public() -> None:
    origin = ips("127.0.0.1", "93.184.216.34")
    assert check_redirect(origin, "127.0.0.1", ips("127.0.0.1")) is not None


def test_origin_that_could_not_be_resolved_counts_as_public() -> None:
    assert check_redirect([], "10.0.0.1", ips("10.0.0.1")) is not None
    assert check_redirect([], "cdn.example", ips("151.101.1.1")) is None


def test_ipv4_mapped_form_of_a_private_target_is_refused_like_the_plain_form() -> None:
    plain = check_redirect(PUBLIC_ORIGIN, "a", ips("192.168.0.1"))
    mapped = check_redirect(PUBLIC_ORIGIN, "a", ips("::ffff:192.168.0.1"))
    assert plain is not None
    assert mapped is not None
    assert "IPv4-mapped private" in mapped
