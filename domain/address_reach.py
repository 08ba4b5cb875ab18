"""What a set of CIDR blocks reaches, judged by the addresses it covers rather than how it is written.

``0.0.0.0/0`` reaches every address; so do ``0.0.0.0/1`` and ``128.0.0.0/1`` together, and so, for a
tenant's isolation, does a list that covers every public address while leaving out the private ranges.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from ipaddress import IPv4Network, IPv6Network
from typing import TypeVar

_N = TypeVar("_N", IPv4Network, IPv6Network)


def _without(space: _N, holes: Iterable[_N]) -> list[_N]:
    blocks = [space]
    for hole in holes:
        blocks = [piece for block in blocks
                  for piece in (block.address_exclude(hole) if hole.subnet_of(block) else [block])]
    return blocks


# Every address on the internet: IPv4 without RFC 6890's blocks that are not (this network, private, shared,
# loopback, link-local, multicast, reserved), and IPv6's global unicast block.
PUBLIC_V4 = _without(IPv4Network("0.0.0.0/0"), [IPv4Network(block) for block in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.168.0.0/16", "224.0.0.0/4", "240.0.0.0/4")])
PUBLIC_V6 = [IPv6Network("2000::/3")]


def _covered(union: Sequence[_N], blocks: Sequence[_N]) -> bool:
    # The union is collapsed, so its blocks are disjoint, and two CIDR blocks either nest or do not meet.
    have = 0
    for block in blocks:
        for net in union:
            if net.subnet_of(block):
                have += net.num_addresses
            elif block.subnet_of(net):
                have += block.num_addresses
    return have >= sum(block.num_addresses for block in blocks)


def _reach(networks: list[_N], public: list[_N], version: int) -> str | None:
    union = list(ipaddress.collapse_addresses(networks))
    if any(net.prefixlen == 0 for net in union):
        return f"every IPv{version} address"
    if union and _covered(union, public):
        return f"every public IPv{version} address"
    return None


def reaches_everywhere(cidrs: Iterable[str]) -> str | None:
    """What of the internet the CIDR blocks cover together ("every IPv4 address", "every public IPv6 address"),
    when they cover all of it; None when they leave some of it out."""
    networks = [ipaddress.ip_network(cidr, strict=False) for cidr in cidrs]
    v4 = [n for n in networks if isinstance(n, IPv4Network)]
    v6 = [n for n in networks if isinstance(n, IPv6Network)]
    return _reach(v4, PUBLIC_V4, 4) or _reach(v6, PUBLIC_V6, 6)
