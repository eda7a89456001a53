"""``python -m chatcontract.mock``: run the mock server in the foreground until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from types import FrameType

from .._security import is_loopback
from ._apis import APIS
from ._server import MockServer
from ._upstream import Upstream

DEFAULT_PORT = 8765


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m chatcontract.mock",
        description="Serve the documented chat-completions APIs locally.",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on (default: %(default)s)"
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help="port to listen on; 0 picks a free one (default: %(default)s)",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log every request to stderr")
    real = parser.add_argument_group("simulate a real upstream (off by default)")
    real.add_argument("--latency-ms", type=float, default=0.0, help="wait this long before each answer")
    real.add_argument("--rpm", type=int, help="refuse requests past this many per minute, per API")
    real.add_argument("--tpm", type=int, help="refuse requests past this many tokens per minute, per API")
    real.add_argument("--fail-rate", type=float, default=0.0, help="answer this share of requests with a 500")
    real.add_argument(
        "--ttft-ms", type=float, default=0.0, help="a stream's headers, then this long before its first event"
    )
    real.add_argument(
        "--chunk-interval-ms", type=float, default=0.0, help="a stream's pause between one event and the next"
    )
    real.add_argument(
        "--rate-limit-http",
        type=int,
        choices=[200, 429],
        default=200,
        help=(
            "the rate-limit answer of an API whose spec has a success code (x-errors.success_body): "
            "in an HTTP 200 body, as that API does, or an HTTP 429"
        ),
    )
    return parser


def _banner(server: MockServer) -> str:
    lines = [f"chatcontract mock server listening on {server.url}", "Point the clients at it:"]
    lines += [f"  export {api.base_url_env}={server.base_url(name)}" for name, api in APIS.items()]
    keys = " ".join(f"{api.api_key_env}=any" for api in APIS.values())
    lines += [f"Any non-empty API key is accepted, e.g. export {keys}", "Press Ctrl-C to stop."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the mock server until interrupted; the exit status (2 for a refused host)."""
    args = _parser().parse_args(argv)
    if not is_loopback(args.host):
        print(
            f"error: refusing to listen on {args.host!r}: the mock server accepts any API key, so it only "
            "listens on loopback addresses (127.0.0.1, ::1, localhost)",
            file=sys.stderr,
        )
        return 2
    if not 0 <= args.port <= 65535:
        print(f"error: --port must be between 0 and 65535, got {args.port}", file=sys.stderr)
        return 2
    if args.verbose:
        logging.basicConfig(level=logging.DEBUG, format="%(asctime)s %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        upstream = Upstream(
            latency_ms=args.latency_ms,
            rpm=args.rpm,
            tpm=args.tpm,
            fail_rate=args.fail_rate,
            rate_limit_http=args.rate_limit_http,
            ttft_ms=args.ttft_ms,
            chunk_interval_ms=args.chunk_interval_ms,
        )
        server = MockServer(args.host, args.port, upstream=upstream).start()
    except OSError as error:
        print(f"error: cannot listen on {args.host}:{args.port}: {error.strerror or error}", file=sys.stderr)
        return 1
    previous = {}
    try:
        if threading.current_thread() is threading.main_thread():
            previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
        print(_banner(server), flush=True)
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        server.stop()
    print("mock server stopped", flush=True)
    return 0
