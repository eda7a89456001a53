"""One rate limit shared by every worker: requests and tokens per minute, and the vendor's pauses.

Each request takes the next free slot of both schedules (``60 / rpm`` seconds apart, and
``tokens * 60 / tpm`` seconds of token budget); up to one second of unused slots may be caught
up, so a burst after a quiet spell does not waste the allowance. The token estimate of a request
is corrected when its usage comes back. A rate-limit signal from the vendor (429, MiniMax
1002/1039/2045, a ``Retry-After``) pauses everyone, growing on repeats and reset by a success.
No I/O: the clock and the sleep are given.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

CATCH_UP = 1.0  # seconds of unused allowance a burst may use
FIRST_PAUSE = 1.0
LONGEST_PAUSE = 60.0


class RateLimiter:
    def __init__(
        self,
        *,
        rpm: float | None = None,
        tpm: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.rpm, self.tpm = rpm, tpm
        self._clock, self._sleep = clock, sleep
        now = clock()
        self._next_request = now
        self._next_tokens = now
        self._paused_until = now
        self._pause = FIRST_PAUSE
        self.pauses = 0  # how many times the vendor said "slow down"

    def _slot(self, tokens: int) -> float:
        """Take the next slot for a request of ``tokens``; when it may be sent."""
        now = self._clock()
        when = self._paused_until
        if self.rpm:
            start = max(self._next_request, now - CATCH_UP, self._paused_until)
            self._next_request = start + 60.0 / self.rpm
            when = max(when, start)
        if self.tpm:
            start = max(self._next_tokens, now - CATCH_UP, self._paused_until)
            self._next_tokens = start + tokens * 60.0 / self.tpm
            when = max(when, start)
        return when

    def reserve(self, tokens: int) -> float:
        """Take the next slot for a request of ``tokens``: how many seconds to wait before sending.

        What a remote limiter (the Ray engine's actor) hands its workers: a wait, not a time, so
        that clocks of other processes never meet.
        """
        return max(0.0, self._slot(tokens) - self._clock())

    def paused_for(self) -> float:
        """Seconds until a vendor's pause ends (0 if none)."""
        return max(0.0, self._paused_until - self._clock())

    async def acquire(self, tokens: int) -> None:
        while True:
            wait = self.reserve(tokens)
            if wait <= 0:
                return
            await self._sleep(wait)
            if self._clock() >= self._paused_until:  # a pause may have come while this slept
                return

    def correct(self, estimated: int, used: int | None) -> None:
        """The API reported ``used`` tokens for a request estimated at ``estimated``."""
        if self.tpm and used is not None and used >= 0:
            self._next_tokens += (used - estimated) * 60.0 / self.tpm

    def slow_down(self, retry_after: float | None) -> float:
        """The vendor signalled a rate limit: pause everyone; the pause, in seconds.

        The requests in flight when a limit is met come back refused together: while a pause
        runs, another refusal does not grow it (only a ``Retry-After`` may lengthen it). After
        the pause the schedule restarts from its end, with no catch-up burst into the limit.
        """
        now = self._clock()
        pause = retry_after if retry_after is not None and retry_after > 0 else self._pause
        if now < self._paused_until and (retry_after is None or now + pause <= self._paused_until):
            return self._paused_until - now  # the same signal, from another request in flight
        self.pauses += 1
        if retry_after is None or retry_after <= 0:
            self._pause = min(self._pause * 2, LONGEST_PAUSE)
        self._paused_until = max(self._paused_until, now + pause)
        self._next_request = max(self._next_request, self._paused_until)
        self._next_tokens = max(self._next_tokens, self._paused_until)
        return pause

    def succeeded(self) -> None:
        self._pause = FIRST_PAUSE
