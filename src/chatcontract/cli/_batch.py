"""``chatcontract batch IN.jsonl OUT.jsonl --api minimax``: run (or resume) a batch of requests.

Every line is checked against the spec before anything is sent; results go to OUT.jsonl in
the OpenAI Batch output format, refused lines to OUT.errors.jsonl. Run the same command again
after any stop to resume.
"""

from __future__ import annotations

import argparse
import sys
import time
from typing import TextIO

from .. import batch
from .._exceptions import ChatContractError


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chatcontract batch", description=__doc__.splitlines()[0])
    p.add_argument("input", help="JSONL of requests: {custom_id, body} or the OpenAI Batch input format")
    p.add_argument(
        "output", help="JSONL of results (OpenAI Batch output format); its job state sits beside it"
    )
    p.add_argument("--api", choices=sorted(batch.APIS), required=True, help="which vendor's API")
    p.add_argument("--rpm", type=float, help="requests per minute (default: no limit)")
    p.add_argument("--tpm", type=float, help="tokens per minute, estimated then corrected by usage")
    p.add_argument("--concurrency", type=int, default=16, help="requests in flight at most (default: 16)")
    p.add_argument("--max-attempts", type=int, default=5, help="tries per request on retryable errors (5)")
    p.add_argument(
        "--retry-failed", action="store_true", help="send again the final errors that were retryable"
    )
    p.add_argument(
        "--dry-run", action="store_true", help="check every line and estimate tokens; send nothing"
    )
    p.add_argument("--engine", choices=["local", "ray"], default="local", help="this process, or Ray actors")
    p.add_argument("--workers", type=int, default=2, help="Ray actors with --engine ray (default: 2)")
    p.add_argument("--address", help="a Ray cluster's address with --engine ray (default: start a local Ray)")
    p.add_argument("--base-url", help="server to call instead of the documented one (or the env var)")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    return p


class ProgressLine:
    """The progress on stderr: rewritten in place on a terminal, a line every few seconds otherwise."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.last = 0.0

    def __call__(self, progress: batch.Progress) -> None:
        if self.tty:
            self.out.write("\r" + progress.line() + "\033[K")
        elif time.monotonic() - self.last >= 5 or progress.finished == progress.total:
            self.out.write(progress.line() + "\n")
            self.last = time.monotonic()
        self.out.flush()


def batch_main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    options = {"base_url": args.base_url} if args.base_url else {}
    report = None if args.no_progress or args.dry_run else ProgressLine(sys.stderr)
    try:
        summary = batch.run(
            args.input,
            args.output,
            api=args.api,
            rpm=args.rpm,
            tpm=args.tpm,
            concurrency=args.concurrency,
            max_attempts=args.max_attempts,
            retry_failed=args.retry_failed,
            dry_run=args.dry_run,
            report=report,
            engine=args.engine,
            workers=args.workers,
            address=args.address,
            **options,
        )
    except KeyboardInterrupt:
        print("\nstopped; run the same command again to resume", file=sys.stderr)
        return 130
    except ImportError as error:
        print(
            f"chatcontract batch: {error}; --engine ray needs: pip install 'chatcontract[ray]'",
            file=sys.stderr,
        )
        return 2
    except (batch.JobMismatch, ChatContractError, ValueError, OSError) as error:
        print(f"chatcontract batch: {error}", file=sys.stderr)
        return 2
    finally:
        if report is not None and report.tty:
            sys.stderr.write("\n")
    print(summary.text())
    return 0


__all__ = ["batch_main"]
