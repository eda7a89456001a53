"""When to retry and how long to wait. No I/O: the clients do the sleeping.

Retried: connection errors and timeouts, 408, 409, 429 and >= 500, and a rate-limit or
server error that a vendor code signals. Never retried: authentication, bad-request, balance,
permission and not-found errors, whatever their HTTP status. The wait honours
``retry-after-ms`` / ``Retry-After``; otherwise it is exponential (0.5 s, 1 s, 2 s, ... up to
8 s) less up to 25% jitter. A server that asks for more than a minute is not retried at all
(as the openai SDK does not): the error is raised at once, its ``retry_after`` and its message
saying how long the server asked to wait.
"""

from __future__ import annotations

import random
import time

from ._exceptions import (
    APIConnectionError,
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    InsufficientBalanceError,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)

DEFAULT_MAX_RETRIES = 2
INITIAL_DELAY = 0.5
MAX_DELAY = 8.0
MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({408, 409, 429})
NEVER = (AuthenticationError, BadRequestError, InsufficientBalanceError, PermissionDeniedError, NotFoundError)


def is_retryable(error: APIError) -> bool:
    if isinstance(error, APIConnectionError):
        return True
    if isinstance(error, NEVER):
        return False
    if isinstance(error, (RateLimitError, InternalServerError)):
        return True
    return isinstance(error, APIStatusError) and (
        error.status_code in RETRY_STATUSES or error.status_code >= 500
    )


def retry_after(error: APIError, now: float | None = None) -> float | None:
    """Seconds the server asked us to wait, if it did (a number or a date not in the past)."""
    response = getattr(error, "response", None)
    if response is None:
        return None
    headers = response.headers
    seconds: float | None = None
    try:
        if "retry-after-ms" in headers:
            seconds = float(headers["retry-after-ms"]) / 1000
        elif "retry-after" in headers:
            value = headers["retry-after"]
            try:
                seconds = float(value)
            except ValueError:
                import email.utils  # rare (an HTTP date): not worth loading with the client

                when = email.utils.parsedate_to_datetime(value)
                seconds = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    # NaN compares false with everything: it is no wait (an infinite one is a very long one).
    return seconds if seconds is not None and seconds >= 0 else None


def backoff(attempt: int, rng: random.Random | None = None) -> float:
    """The wait before retry number ``attempt + 1`` (from 0) when the server named none."""
    base = min(INITIAL_DELAY * 2**attempt, MAX_DELAY)
    return float(base * (1 - 0.25 * (rng or random).random()))


def _too_long(error: APIStatusError, seconds: float) -> None:
    error.message += (
        f" (the server asks to retry after {seconds:g} s, more than the {MAX_RETRY_AFTER:g} s"
        " chatcontract waits: not retried)"
    )
    error.args = (error.message,)


def next_delay(
    attempt: int, max_retries: int, error: APIError, rng: random.Random | None = None
) -> float | None:
    """How long to wait before trying again, or None to give up and raise ``error``.

    Sets ``error.retry_after`` (an ``APIStatusError``) to the wait the server asked for.
    """
    asked = None
    if isinstance(error, APIStatusError):
        asked = error.retry_after = retry_after(error)
    if attempt >= max_retries or not is_retryable(error):
        return None
    if asked is None:
        return backoff(attempt, rng)
    if asked > MAX_RETRY_AFTER and isinstance(error, APIStatusError):  # (asked implies it)
        _too_long(error, asked)
        return None
    return asked
