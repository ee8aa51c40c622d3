"""The client address of a request, for every per-address limit (activation and sign-in throttling).

``REMOTE_ADDR`` is the peer of the WSGI server. Only when that peer is one of the proxies listed in
``DJANGO_TRUSTED_PROXIES`` (settings ``TRUSTED_PROXIES``) is ``X-Forwarded-For`` read, and then from the
right: each trusted proxy appends the address it received the request from, so the rightmost address that
is not a trusted proxy is the first one no proxy of ours vouches for, the client. Anything further left
was written by the client itself and may be forged.

A few lines with ``ipaddress`` rather than django-ipware: ipware makes a best-effort ranking over dozens
of headers (CDN headers, ``Forwarded``, ``X-Real-IP``), each one a client could send unless the proxy
strips it; a limit needs one rule that can be read whole and tested case by case. The one function serves
activation (``views/activation.py``) and django-axes (``AXES_CLIENT_IP_CALLABLE``) alike.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[IPNetwork, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def trusted_proxy_networks() -> tuple[IPNetwork, ...]:
    """The networks of ``settings.TRUSTED_PROXIES`` (validated when settings load; read at call time)."""
    return _networks(tuple(settings.TRUSTED_PROXIES))


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    value = value.strip()
    if value.startswith("[") and "]" in value:  # "[2001:db8::1]:443"
        value = value[1 : value.index("]")]
    elif value.count(":") == 1:  # "203.0.113.7:51234"
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket counts as the IPv4 address.
    return getattr(address, "ipv4_mapped", None) or address


def _trusted(address, networks) -> bool:
    return any(address in network for network in networks)


def client_address(request) -> str:
    """The address per-address limits count against: REMOTE_ADDR, or through trusted proxies the client."""
    remote = request.META.get("REMOTE_ADDR", "")
    networks = trusted_proxy_networks()
    peer = _parse(remote)
    if peer is None or not networks or not _trusted(peer, networks):
        return str(peer) if peer is not None else remote
    candidate = peer
    for entry in reversed(request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")):
        address = _parse(entry)
        if address is None:
            # No proxy of ours writes garbage: from here leftwards the header is the client's own.
            break
        if not _trusted(address, networks):
            return str(address)
        candidate = address
    # Every hop is one of our networks (or the header is missing): the farthest one vouched for.
    return str(candidate)
