"""``chatcontract demo``: the ``chat`` command against each documented API, whole and streamed.

Without keys it starts the local mock server and points the clients at it; with an API's key
variable set (``MINIMAX_API_KEY``, ``EVOLINK_API_KEY``, ...) it calls that API for real and
says so. Each run is the real command line in a subprocess, as a user would type it: the
documented example request of every spec, then a small batch.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
from typing import Any

from ..mock import MockServer
from ._chat import CLIENTS


def _text(message: Any) -> str | None:
    content = message.get("content") if isinstance(message, dict) else None
    return content if isinstance(content, str) and content else None


def runs() -> list[tuple[str, str, str, str | None]]:
    """The documented example request of each spec as ``(api, model, prompt, system)``: its
    model, its last user message and its system message (where those are plain text)."""
    found: list[tuple[str, str, str, str | None]] = []
    for api, cls in CLIENTS.items():
        for endpoint in cls._api.endpoints:
            example: dict[str, Any] = next(iter(endpoint.request_examples.values()), {})
            messages = example.get("messages", [])
            users = [text for m in messages if m.get("role") == "user" and (text := _text(m))]
            systems = [text for m in messages if m.get("role") == "system" and (text := _text(m))]
            found.append(
                (
                    api,
                    str(example.get("model", endpoint.models[0])),
                    users[-1] if users else "Hello",
                    systems[0] if systems else None,
                )
            )
    return found


def demo_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="chatcontract demo", description=__doc__.splitlines()[0])
    parser.add_argument("--mock", action="store_true", help="use the mock server even when keys are set")
    args = parser.parse_args(argv)
    env = dict(os.environ)
    real = {api for api, cls in CLIENTS.items() if env.get(cls._api.api_key_env) and not args.mock}
    failures = 0
    with MockServer() as server:
        for api, cls in sorted(CLIENTS.items()):
            key_env, url_env = cls._api.api_key_env, cls._api.base_url_env
            if api in real:
                where = env.get(url_env) or cls._api.default_base_url
                print(f"== {api}: {key_env} is set, calling the REAL API at {where}")
            else:
                env[key_env] = "demo-key"
                env[url_env] = server.base_url(api)
                print(f"== {api}: no {key_env}, using the local mock server at {env[url_env]}")
        sys.stdout.flush()
        documented = runs()
        for api, model, prompt, system in documented:
            for stream in (False, True):
                command = ["chat", "--api", api, "--model", model, prompt]
                command += ["--system", system] if system else []
                command += ["--stream"] if stream else []
                print(f"\n$ chatcontract {shlex.join(command)}", flush=True)
                done = subprocess.run([sys.executable, "-m", "chatcontract", *command], env=env, check=False)
                failures += done.returncode != 0
        failures += _batch(server, env)
    total = len(documented) * 2 + 1
    print(f"\ndemo: {total - failures} of {total} runs succeeded")
    return 1 if failures else 0


def _batch(server: MockServer, env: dict[str, str]) -> int:
    """A small throttled batch of the first API, always on the mock server (a demo spends no
    money on batches); one line breaks a documented rule and is refused before sending."""
    import json
    import tempfile
    from pathlib import Path

    api, cls = next(iter(CLIENTS.items()))
    model = cls._api.endpoints[0].models[0]
    with tempfile.TemporaryDirectory(prefix="chatcontract-demo-") as folder:
        source, output = Path(folder) / "requests.jsonl", Path(folder) / "results.jsonl"
        lines: list[dict[str, Any]] = [
            {
                "custom_id": f"q{n:02}",
                "body": {"model": model, "messages": [{"role": "user", "content": f"Question {n}"}]},
            }
            for n in range(36)
        ]
        lines.append({"custom_id": "no-messages", "body": {"model": model}})
        source.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
        )
        command = ["batch", str(source), str(output), "--api", api, "--rpm", "600", "--concurrency", "4"]
        command += ["--base-url", server.base_url(api)]
        print(f"\n$ chatcontract {shlex.join(command)}   # always on the mock server", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "chatcontract", *command],
            env={**env, cls._api.api_key_env: "demo-key"},
            check=False,
        )
        refused = (Path(folder) / "results.errors.jsonl").read_text(encoding="utf-8").strip()
        print(f"refused before sending: {refused}")
        return int(done.returncode != 0)
