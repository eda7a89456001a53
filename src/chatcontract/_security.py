"""Refuse settings that would send the API key where others can read it. No I/O.

* ``http://`` to anything but this machine sends the key in clear text: refused unless the
  caller passes ``allow_insecure=True``.
* An ``http_client`` whose TLS certificate checks are off would let anyone in the middle
  read the key: refused the same way. The clients' own HTTP clients always verify.
"""

from __future__ import annotations

import functools
import ssl
from typing import Any
from urllib.parse import urlsplit

import httpx

from ._exceptions import InsecureTransportError, InvalidArgumentError

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def is_loopback(host: str) -> bool:
    host = host.strip("[]").lower()
    if host in LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    import ipaddress  # only for http:// URLs

    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, *, allow_insecure: bool) -> str:
    """``url`` if it is a usable server address; InsecureTransportError or InvalidArgumentError if not."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise InvalidArgumentError(f"base_url must be an http:// or https:// URL with a host, got {url!r}")
    if parts.username or parts.password:
        raise InvalidArgumentError(
            "base_url must not carry credentials; the API key is sent as a bearer token"
        )
    if parts.scheme == "http" and not is_loopback(parts.hostname) and not allow_insecure:
        raise InsecureTransportError(
            f"refusing to send the API key in clear text to {parts.hostname!r} over http://; "
            "use https://, or pass allow_insecure=True if this network is trusted"
        )
    return url.rstrip("/")


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The one certificate-checking TLS context of every HTTP client chatcontract makes itself.

    Loading the CA certificates costs about 0.8 MiB and some milliseconds per context; the
    context is safe to share between clients, threads and event loops.
    """
    return httpx.create_ssl_context()


def _ssl_context(http_client: Any) -> ssl.SSLContext | None:
    # httpx keeps the context on its transport's connection pool (httpcore); best effort.
    transport = getattr(http_client, "_transport", None)
    pool = getattr(transport, "_pool", None)
    context = getattr(pool, "_ssl_context", None)
    return context if isinstance(context, ssl.SSLContext) else None


def check_http_client(http_client: Any, *, allow_insecure: bool) -> None:
    """Refuse an ``http_client`` that does not verify TLS certificates."""
    context = _ssl_context(http_client)
    if context is not None and context.verify_mode == ssl.CERT_NONE and not allow_insecure:
        raise InsecureTransportError(
            "the http_client does not verify TLS certificates (verify=False); "
            "pass allow_insecure=True to use it anyway"
        )
