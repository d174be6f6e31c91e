"""Who is asking: the one place that decides a request's client address.

Behind a reverse proxy every connection comes from the proxy, so the client's own address
is in `X-Forwarded-For`, which anybody can also send. We believe it only when the direct
peer is one of GROUNDSWELL_TRUSTED_PROXIES, and then take the right-most hop that is not a
trusted proxy: everything to the left of that hop was written by the client (or by a proxy
we do not know) and could be invented. Every rate limit and the "one source behind many
voices" signal read their address from here, and `groundswell serve` gives uvicorn the same
list, so the limits, the signal and the server agree on who a request came from."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "unknown"


def parse_networks(spec: str) -> tuple[Network, ...]:
    """`"127.0.0.1, ::1, 10.0.0.0/8"` → networks; a bare address is a one-address network.
    Raises ValueError naming the entry that is not an address or a CIDR."""
    networks = []
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        try:
            networks.append(ipaddress.ip_network(entry, strict=False))
        except ValueError:
            raise ValueError(f"{entry!r} is not an IP address or network") from None
    return tuple(networks)


@lru_cache(maxsize=8)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """Parsed once per distinct setting (the settings object holds the text)."""
    return parse_networks(spec)


def _address(hop: str) -> Address | None:
    """One hop as written by proxies: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1` or
    `[2001:db8::1]:443`; None for anything else."""
    text = hop.strip().strip('"')
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else text
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _trusted(address: Address, networks: Sequence[Network]) -> bool:
    return any(address.version == net.version and address in net for net in networks)


def client_address(
    peer: str | None, forwarded_for: Iterable[str], trusted: Sequence[Network]
) -> str:
    """The client's address: the peer's own, unless the peer is a trusted proxy, in which
    case the right-most `X-Forwarded-For` hop that is not itself a trusted proxy.

    `forwarded_for` is every X-Forwarded-For header value in order (a proxy may add a
    header rather than extend one). A hop that is not an address stops the walk at the
    last address we could trust (its writer is not one we can vouch for)."""
    peer_address = _address(peer) if peer else None
    if peer_address is None:
        return peer or UNKNOWN
    if not _trusted(peer_address, trusted):
        return str(peer_address)
    hops = [hop for value in forwarded_for for hop in value.split(",") if hop.strip()]
    believed = peer_address
    for hop in reversed(hops):
        address = _address(hop)
        if address is None:
            break
        believed = address
        if not _trusted(address, trusted):
            break
    return str(believed)
