"""Job state in SQLite next to the output, and the output file itself: nothing lost, nothing twice.

``<output>.state.sqlite`` (WAL) holds every valid line with its state: ``pending``, ``done``
(a reply) or ``failed`` (a final error), the result line and whether the error was retryable.
A result is committed to the database first, then appended to the output and flushed. On a
restart the output is read back (a torn last line cut off): a result committed but not yet
written is written; a result written but not committed counts as recorded, so it is never sent
again. Every ``custom_id`` thus ends in the output exactly once.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .._exceptions import InvalidArgumentError
from ._lines import Line

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS requests (
    custom_id TEXT PRIMARY KEY,
    line INTEGER NOT NULL,
    body TEXT NOT NULL,
    tokens INTEGER NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    retryable INTEGER NOT NULL DEFAULT 0,
    result TEXT
);
CREATE INDEX IF NOT EXISTS requests_state ON requests (state, line);
"""


class JobMismatch(InvalidArgumentError):
    """The job state at this output belongs to another input or API."""


def state_path(output: Path) -> Path:
    return output.with_name(output.name + ".state.sqlite")


class Store:
    def __init__(self, output: Path) -> None:
        self.output = output
        self.db = sqlite3.connect(state_path(output), isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self._out: Any = None

    # ------------------------------------------------------------------ the job
    def claim(self, fingerprint: str, api: str) -> bool:
        """Bind the state to this input and API; True if the job is new."""
        found = dict(self.db.execute("SELECT key, value FROM meta").fetchall())
        if not found:
            with self.db:
                self.db.execute("BEGIN")
                self.db.executemany(
                    "INSERT INTO meta VALUES (?, ?)", [("input_sha256", fingerprint), ("api", api)]
                )
            return True
        if found.get("input_sha256") != fingerprint or found.get("api") != api:
            raise JobMismatch(
                f"{state_path(self.output)} holds a job for another input or API; the input changed "
                "since it started. Use another output path, or delete the state file to start over"
            )
        return False

    def add(self, lines: Iterable[Line]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany(
            "INSERT OR IGNORE INTO requests (custom_id, line, body, tokens) VALUES (?, ?, ?, ?)",
            ((ln.custom_id, ln.number, json.dumps(ln.body, ensure_ascii=False), ln.tokens) for ln in lines),
        )
        self.db.execute("COMMIT")

    # ------------------------------------------------------------------ the output file
    def reconcile(self) -> int:
        """Make the output and the state agree after any stop; the number of results written now."""
        written = self._written()
        with self.db:
            self.db.execute("BEGIN")
            # Written but not committed (a kill between the two): recorded all the same.
            for custom_id, result in written.items():
                state = "failed" if json.loads(result).get("error") else "done"
                self.db.execute(
                    "UPDATE requests SET state = ?, result = ? WHERE custom_id = ? AND state = 'pending'",
                    (state, result, custom_id),
                )
        missing = [
            (custom_id, result)
            for custom_id, result in self.db.execute(
                "SELECT custom_id, result FROM requests WHERE state != 'pending' ORDER BY line"
            )
            if custom_id not in written
        ]
        for _, result in missing:
            self._append(result)
        return len(missing)

    def _written(self) -> dict[str, str]:
        """custom_id -> line of the output as it is, after cutting off a torn last line."""
        if not self.output.exists():
            return {}
        data = self.output.read_bytes()
        whole = data[: data.rfind(b"\n") + 1]
        if len(whole) != len(data):
            with self.output.open("r+b") as out:
                out.truncate(len(whole))
        found = {}
        for text in whole.decode("utf-8").splitlines():
            if text.strip():
                found[json.loads(text)["custom_id"]] = text
        return found

    def _append(self, result: str) -> None:
        if self._out is None:
            self._out = self.output.open("a", encoding="utf-8")
        self._out.write(result + "\n")
        self._out.flush()

    # ------------------------------------------------------------------ the work
    def pending(self) -> Iterator[tuple[str, dict[str, Any], int]]:
        rows = self.db.execute(
            "SELECT custom_id, body, tokens FROM requests WHERE state = 'pending' ORDER BY line"
        ).fetchall()
        for custom_id, body, tokens in rows:
            yield custom_id, json.loads(body), tokens

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT state, COUNT(*) FROM requests GROUP BY state").fetchall())

    def record(self, custom_id: str, result: dict[str, Any], *, failed: bool, retryable: bool) -> None:
        """Commit a final result, then write it to the output."""
        text = json.dumps(result, ensure_ascii=False, separators=(",", ":"))
        self.db.execute(
            "UPDATE requests SET state = ?, result = ?, retryable = ? WHERE custom_id = ?",
            ("failed" if failed else "done", text, int(retryable), custom_id),
        )
        self._append(text)

    def retry_failed(self) -> int:
        """Put the retryable final errors back to pending and drop their lines from the output."""
        ids = [
            row[0]
            for row in self.db.execute(
                "SELECT custom_id FROM requests WHERE state = 'failed' AND retryable = 1"
            )
        ]
        if not ids:
            return 0
        drop = set(ids)
        kept = [text for cid, text in self._written().items() if cid not in drop]
        temporary = self.output.with_name(self.output.name + ".tmp")
        temporary.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        with self.db:
            self.db.execute("BEGIN")
            self.db.executemany(
                "UPDATE requests SET state = 'pending', result = NULL WHERE custom_id = ?",
                ((cid,) for cid in ids),
            )
        os.replace(temporary, self.output)
        return len(ids)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
        self.db.close()
