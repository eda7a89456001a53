"""When to retry and how long to wait. No I/O: the clients do the sleeping.

Retried: connection errors and timeouts, 408, 409, 429 and >= 500, and a rate-limit or
server error that a vendor code signals. Never retried: authentication, bad-request, balance,
permission and not-found errors, whatever their HTTP status. The wait honours
``retry-after-ms`` / ``Retry-After`` (up to a minute); otherwise it is exponential
(0.5 s, 1 s, 2 s, ... up to 8 s) less up to 25% jitter.
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
    """Seconds the server asked us to wait, if it did (and sensibly)."""
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
    return seconds if seconds is not None and 0 <= seconds <= MAX_RETRY_AFTER else None


def delay(attempt: int, error: APIError, rng: random.Random | None = None) -> float:
    """Wait before retry number ``attempt + 1`` (attempt counts from 0)."""
    asked = retry_after(error)
    if asked is not None:
        return asked
    base = min(INITIAL_DELAY * 2**attempt, MAX_DELAY)
    return float(base * (1 - 0.25 * (rng or random).random()))


def next_delay(
    attempt: int, max_retries: int, error: APIError, rng: random.Random | None = None
) -> float | None:
    """How long to wait before trying again, or None to give up and raise ``error``."""
    if attempt >= max_retries or not is_retryable(error):
        return None
    return delay(attempt, error, rng)
