"""``chatcontract batch IN.jsonl OUT.jsonl --api minimax``: run (or resume) a batch of requests.

Every line is checked against the spec before anything is sent; results go to OUT.jsonl in
the OpenAI Batch output format, refused lines to OUT.errors.jsonl. Run the same command again
after any stop to resume.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from typing import Any, TextIO

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
    p.add_argument("--no-progress", action="store_true", help="no progress bar (or line) on stderr")
    return p


class ProgressLine:
    """The built-in progress on stderr: rewritten in place on a terminal, a line every few seconds
    otherwise. Used when tqdm (``pip install 'chatcontract[cli]'``) is not installed."""

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

    def close(self) -> None:
        if self.tty:
            self.out.write("\n")
            self.out.flush()


class ProgressBar:
    """A tqdm bar on stderr: results recorded out of the total, rate and ETA (this run's results
    only: those recorded before start the bar), then failures, tokens and rate-limit answers."""

    def __init__(self, out: TextIO, tqdm: Any) -> None:
        self.out = out
        self.tty = out.isatty()
        self._tqdm = tqdm
        self.bar: Any = None

    def __call__(self, progress: batch.Progress) -> None:
        if self.bar is None:
            self.bar = self._tqdm(
                total=progress.total,
                initial=progress.finished,
                unit="req",
                file=self.out,
                dynamic_ncols=True,
                mininterval=0.5 if self.tty else 5.0,  # a log gets a line every few seconds
                smoothing=0.1,
            )
        bar = self.bar
        bar.set_postfix_str(
            f"{progress.failed:,} failed, {progress.tokens:,} tokens, {progress.rate_limited:,} rate limited",
            refresh=False,
        )
        bar.update(progress.finished - bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def progress_reporter(out: TextIO) -> ProgressBar | ProgressLine:
    """A tqdm bar when tqdm is installed (the ``cli`` extra), else the built-in line."""
    try:
        module = importlib.import_module("tqdm")
    except ImportError:
        return ProgressLine(out)
    return ProgressBar(out, module.tqdm)


def batch_main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    options = {"base_url": args.base_url} if args.base_url else {}
    report = None if args.no_progress or args.dry_run else progress_reporter(sys.stderr)
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
        if report is not None:
            report.close()
    print(summary.text())
    return 0


__all__ = ["batch_main"]
