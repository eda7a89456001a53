"""The evolink.ai clients (loaded on first use, with only evolink's generated models)."""

from __future__ import annotations

from ._async_client import AsyncClient
from ._client import SyncClient
from ._core import api_of
from ._generated import evolink_client


class Evolink(SyncClient):
    """Client of evolink.ai (``https://api.evolink.ai``): ``MiniMax-M2.5`` and ``gemini-3-pro-preview``.

    ``model`` picks the documented endpoint, its parameters and its response type. The key
    comes from ``api_key`` or ``EVOLINK_API_KEY``; the server from ``base_url``,
    ``EVOLINK_BASE_URL`` or the documented one. Options as for ``MiniMax``.

    Example:
        >>> client = chatcontract.Evolink()
        >>> reply = client.chat.completions.create(
        ...     model="gemini-3-pro-preview", messages=[{"role": "user", "content": "Hi"}], top_k=40
        ... )
    """

    _api = api_of("Evolink", evolink_client)
    _chat = evolink_client.Chat
    chat: evolink_client.Chat


class AsyncEvolink(AsyncClient):
    """Async client of evolink.ai; see ``chatcontract.Evolink``.

    Example:
        >>> async with chatcontract.AsyncEvolink() as client:
        ...     stream = await client.chat.completions.create(
        ...         model="gemini-3-pro-preview", messages=[{"role": "user", "content": "Hi"}], stream=True
        ...     )
        ...     async for chunk in stream:
        ...         print(chunk.choices[0].delta.content if chunk.choices else "")
    """

    _api = api_of("Evolink", evolink_client)
    _chat = evolink_client.AsyncChat
    chat: evolink_client.AsyncChat
