"""The MiniMax clients (loaded on first use, with only MiniMax's generated models)."""

from __future__ import annotations

from ._async_client import AsyncClient
from ._client import SyncClient
from ._core import api_of
from ._generated import minimax_client


class MiniMax(SyncClient):
    """Client of MiniMax's own API (``https://api.minimaxi.com``).

    The key comes from ``api_key`` or ``MINIMAX_API_KEY``; the server from ``base_url``,
    ``MINIMAX_BASE_URL`` or the documented one. Options: ``timeout`` (600 s read, 5 s
    connect by default), ``max_retries`` (2), ``http_client``, ``strict_responses``, and
    the limits of README's "Timeouts and retries": ``deadline`` (900 s),
    ``max_response_bytes`` (32 MiB), ``max_event_bytes`` (4 MiB), ``stream_deadline``,
    ``stream_idle_timeout``.

    Example:
        >>> client = chatcontract.MiniMax()
        >>> reply = client.chat.completions.create(
        ...     model="MiniMax-M2.7", messages=[{"role": "user", "content": "你好"}]
        ... )
        >>> reply.choices[0].message.content
    """

    _api = api_of("MiniMax", minimax_client)
    _chat = minimax_client.Chat
    chat: minimax_client.Chat


class AsyncMiniMax(AsyncClient):
    """Async client of MiniMax's own API; see ``chatcontract.MiniMax``.

    Example:
        >>> async with chatcontract.AsyncMiniMax() as client:
        ...     reply = await client.chat.completions.create(
        ...         model="MiniMax-M2.7", messages=[{"role": "user", "content": "你好"}]
        ...     )
    """

    _api = api_of("MiniMax", minimax_client)
    _chat = minimax_client.AsyncChat
    chat: minimax_client.AsyncChat
