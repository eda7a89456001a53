"""The proxy settings of the environment, read the way httpx reads them. No I/O.

httpx honours ``HTTP_PROXY`` / ``HTTPS_PROXY`` / ``ALL_PROXY`` and ``NO_PROXY`` only for the
transport it builds itself; the async client brings its own (``ShardedAsyncTransport``), so it
mounts one per proxy URL, with these patterns, as httpx would.

    >>> import os
    >>> os.environ.update(HTTPS_PROXY="proxy.corp:3128", NO_PROXY="localhost,.internal")
    >>> environment_proxies()  # doctest: +SKIP
    {'https://': 'http://proxy.corp:3128', 'all://localhost': None, 'all://*.internal': None}

A pattern mapped to ``None`` goes direct (the client's own transport), whatever the proxies.
"""

from __future__ import annotations

import ipaddress
import urllib.request

PROXY_SCHEMES = ("http", "https", "all")


def _is_ip(host: str, version: type[ipaddress.IPv4Address | ipaddress.IPv6Address]) -> bool:
    try:
        version(host.split("/")[0])  # a network ("10.0.0.0/8") counts by its address
    except ValueError:
        return False
    return True


def _direct_pattern(host: str) -> str:
    """The mount pattern of one ``NO_PROXY`` entry (curl's rules, as httpx applies them)."""
    if "://" in host:
        return host
    if _is_ip(host, ipaddress.IPv4Address) or host.lower() == "localhost":
        return f"all://{host}"
    if _is_ip(host, ipaddress.IPv6Address):
        return f"all://[{host}]"
    # ".example.com" spares the subdomains; "example.com" the domain and its subdomains too.
    return f"all://*{host}"


def environment_proxies() -> dict[str, str | None]:
    """URL pattern -> proxy URL, or None for "no proxy"; {} when ``NO_PROXY`` is ``*``."""
    found = urllib.request.getproxies()
    patterns: dict[str, str | None] = {}
    for scheme in PROXY_SCHEMES:
        url = found.get(scheme)
        if url:
            patterns[f"{scheme}://"] = url if "://" in url else f"http://{url}"
    for host in (entry.strip() for entry in found.get("no", "").split(",")):
        if host == "*":
            return {}
        if host:
            patterns[_direct_pattern(host)] = None
    return patterns
