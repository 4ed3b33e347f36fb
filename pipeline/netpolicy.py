"""Which network addresses a feed's redirect may lead to (pure: no I/O, no DNS, no clock).

A feed we do not control can answer with a redirect to `http://169.254.169.254/` (a cloud
metadata service), `http://127.0.0.1:5432/` or a printer on the office network; following it
would make newswatch a proxy into the operator's private network. So a redirect from a feed
at a public address to any address that is not public is refused (`fetch` reports it as
`redirect_blocked`).

The configured URL is the operator's choice and is never checked: a feed configured on
127.0.0.1 or on an intranet host is fetched, and its redirects are followed wherever they
lead, because the operator already pointed us inside. "Configured on" means every address of
the configured host is non-public; a host with one public address counts as public.

Not public, here: unspecified, loopback, private (RFC 1918, unique local fc00::/7), link-local,
shared CGNAT space 100.64.0.0/10, multicast, site-local fec0::/10, reserved and other
special-purpose blocks (documentation, benchmarking, 192.0.0.0/24, 240.0.0.0/4, broadcast),
and IPv6 forms that carry an IPv4 address (IPv4-mapped ::ffff:0:0/96, IPv4-compatible ::/96,
NAT64 64:ff9b::/96, 6to4 2002::/16), judged by the IPv4 address inside. A target host that
resolves to several addresses is refused if any of them is not public (the client may connect
to any of them), and a target with no address at all is refused (nothing could be checked).

Known limit: `fetch` resolves the target, then the HTTP client resolves it again to connect.
A DNS server that answers a public address to the first lookup and a private one to the
second (rebinding with a zero TTL) is not stopped by this check alone.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

_CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
_IETF_PROTOCOL = ipaddress.IPv4Network("192.0.0.0/24")  # DS-Lite, NAT64 discovery: not for hosting
_RFC1918 = tuple(ipaddress.IPv4Network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
_UNIQUE_LOCAL = ipaddress.IPv6Network("fc00::/7")
_SITE_LOCAL = ipaddress.IPv6Network("fec0::/10")
_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.IPv6Network("::/96")


def parse_address(text: str) -> IPAddress | None:
    """The address written in `text` (an IPv6 zone such as %eth0 kept), or None when it is not one."""
    try:
        return ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return None


def address_class(ip: IPAddress) -> str | None:
    """Why `ip` is not a public address, in a few words ("loopback", "private", ...); None if public."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            kind, inner = embedded
            reason = address_class(inner)
            if kind == "IPv4-compatible":  # deprecated since 2006: no host is reached this way
                return f"{kind} {reason or 'deprecated'}"
            return None if reason is None else f"{kind} {reason}"
        if ip in _NAT64_LOCAL:
            return "local NAT64"
        if ip in _UNIQUE_LOCAL:
            return "private (unique local)"
        if ip in _SITE_LOCAL:
            return "site-local"
    checks: tuple[tuple[bool, str], ...] = (
        (ip.is_unspecified, "unspecified"),
        (ip.is_loopback, "loopback"),
        (ip.is_link_local, "link-local"),
        (ip.is_multicast, "multicast"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _CGNAT, "shared (CGNAT)"),
        (isinstance(ip, ipaddress.IPv4Address) and any(ip in net for net in _RFC1918), "private"),
        (isinstance(ip, ipaddress.IPv4Address) and ip in _IETF_PROTOCOL, "special-purpose"),
        (ip.is_reserved, "reserved"),
        # is_global is the IANA special-purpose registry; its exact contents vary a little
        # between Python releases, so the named checks above come first for stable wording.
        (ip.is_private or not ip.is_global, "special-purpose"),
    )
    return next((reason for hit, reason in checks if hit), None)


def is_public_address(ip: IPAddress) -> bool:
    """True when `ip` is an ordinary address on the public internet."""
    return address_class(ip) is None


def check_redirect(origin: Sequence[IPAddress], target_host: str, target: Sequence[IPAddress]) -> str | None:
    """Why a redirect from a feed at `origin` to `target_host` (resolved to `target`) is refused; None if allowed.

    `origin` holds the addresses of the configured feed's host: when all of them are
    non-public the operator chose a private feed and every redirect is allowed.
    """
    if origin and not any(is_public_address(ip) for ip in origin):
        return None
    if not target:
        return f"redirect to {target_host} refused: it resolves to no address that could be checked"
    for ip in _unique(target):
        reason = address_class(ip)
        if reason is not None:
            shown = target_host if parse_address(target_host) == ip else f"{target_host} ({ip})"
            return f"redirect from a public feed to a {reason} address refused: {shown}"
    return None


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> tuple[str, ipaddress.IPv4Address] | None:
    """The IPv4 address an IPv6 form carries, with the form's name; None for a plain IPv6 address."""
    if ip.ipv4_mapped is not None:
        return "IPv4-mapped", ip.ipv4_mapped
    if ip in _NAT64:
        return "NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    if ip.sixtofour is not None:
        return "6to4", ip.sixtofour
    if ip in _IPV4_COMPATIBLE and int(ip) > 1:  # ::/128 and ::1 are themselves, not a wrapper
        return "IPv4-compatible", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _unique(addresses: Iterable[IPAddress]) -> list[IPAddress]:
    return list(dict.fromkeys(addresses))
