"""The mock as a real upstream: latency, requests- and tokens-per-minute limits, and failures.

Off by default. ``Upstream(latency_ms=200, rpm=6000)`` makes every answer wait 200 ms and
refuses, in the API's own error format, a request that would pass 6,000 accepted requests in
the last 60 seconds (or ``tpm`` tokens, counted from the usage of the answers given). MiniMax's
refusal is its rate-limit code 1002 in an HTTP 200 body (``base_resp``), as its API sends it,
or an HTTP 429 with ``rate_limit_http=429``; evolink's is an OpenAI-style 429. Refused requests
do not count. ``fail_rate`` answers that share of valid requests with a 500. A stream can be
paced as a model writes it: ``ttft_ms`` between its headers and its first event (time to first
token), ``chunk_interval_ms`` between one event and the next. Thread-safe.
"""

from __future__ import annotations

import random
import threading
import time
from collections import deque
from dataclasses import dataclass, field

WINDOW = 60.0


@dataclass
class Upstream:
    latency_ms: float = 0.0
    rpm: int | None = None
    tpm: int | None = None
    fail_rate: float = 0.0
    rate_limit_http: int = 200  # MiniMax: 200 (base_resp 1002, as the API does) or 429
    ttft_ms: float = 0.0  # a stream's headers, then this long before its first event
    chunk_interval_ms: float = 0.0  # and this long between one event and the next
    seed: int | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _requests: dict[str, deque[float]] = field(default_factory=dict, repr=False)
    _tokens: dict[str, deque[tuple[float, int]]] = field(default_factory=dict, repr=False)
    _random: random.Random = field(init=False, repr=False)
    limited: int = 0  # requests refused for a rate limit so far
    failed: int = 0  # requests answered with a 500 so far

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)
        if not 0.0 <= self.fail_rate <= 1.0:
            raise ValueError(f"fail_rate must be between 0 and 1, got {self.fail_rate}")
        if self.rate_limit_http not in (200, 429):
            raise ValueError(f"rate_limit_http must be 200 or 429, got {self.rate_limit_http}")
        if self.ttft_ms < 0 or self.chunk_interval_ms < 0:
            raise ValueError(
                "ttft_ms and chunk_interval_ms must not be negative, "
                f"got {self.ttft_ms} and {self.chunk_interval_ms}"
            )

    @property
    def active(self) -> bool:
        return bool(self.latency_ms or self.rpm or self.tpm or self.fail_rate)

    def wait(self) -> None:
        if self.latency_ms:
            time.sleep(self.latency_ms / 1000)

    def pacing(self) -> tuple[float, float]:
        """Seconds before a stream's first event and between its events (0, 0: all at once)."""
        return self.ttft_ms / 1000, self.chunk_interval_ms / 1000

    def admit(self, api: str) -> str | None:
        """None if a request to ``api`` may go on now (and count it); else why it may not:
        "rate_limited" or "internal"."""
        now = time.monotonic()
        with self._lock:
            if self.fail_rate and self._random.random() < self.fail_rate:
                self.failed += 1
                return "internal"
            requests = self._requests.setdefault(api, deque())
            tokens = self._tokens.setdefault(api, deque())
            while requests and requests[0] <= now - WINDOW:
                requests.popleft()
            while tokens and tokens[0][0] <= now - WINDOW:
                tokens.popleft()
            over_rpm = self.rpm is not None and len(requests) >= self.rpm
            over_tpm = self.tpm is not None and sum(count for _, count in tokens) >= self.tpm
            if over_rpm or over_tpm:
                self.limited += 1
                return "rate_limited"
            requests.append(now)
            return None

    def used(self, api: str, tokens: int) -> None:
        if self.tpm is not None and tokens > 0:
            with self._lock:
                self._tokens.setdefault(api, deque()).append((time.monotonic(), tokens))

    def retry_after(self, api: str) -> int:
        """Seconds until the oldest counted request leaves the window (at least 1)."""
        with self._lock:
            requests = self._requests.get(api)
            if not requests:
                return 1
            return max(1, int(requests[0] + WINDOW - time.monotonic()) + 1)
