"""``chatcontract demo``: the ``chat`` command against each documented API, whole and streamed.

Without keys it starts the local mock server and points the clients at it; with
``MINIMAX_API_KEY`` / ``EVOLINK_API_KEY`` set it calls that vendor's real API and says so.
Each run is the real command line in a subprocess, as a user would type it.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys

from ..mock import MockServer
from ._chat import CLIENTS

# The documented example of each page: (api, model, prompt, system).
RUNS = (
    ("minimax", "MiniMax-M2.7", "你好", "MiniMax AI"),
    ("evolink", "MiniMax-M2.5", "자기소개를 해주세요", None),
    ("evolink", "gemini-3-pro-preview", "Please introduce yourself", None),
)


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
        for api, model, prompt, system in RUNS:
            for stream in (False, True):
                command = ["chat", "--api", api, "--model", model, prompt]
                command += ["--system", system] if system else []
                command += ["--stream"] if stream else []
                print(f"\n$ chatcontract {shlex.join(command)}", flush=True)
                done = subprocess.run([sys.executable, "-m", "chatcontract", *command], env=env, check=False)
                failures += done.returncode != 0
        failures += _batch(server, env)
    runs = len(RUNS) * 2 + 1
    print(f"\ndemo: {runs - failures} of {runs} runs succeeded")
    return 1 if failures else 0


def _batch(server: MockServer, env: dict[str, str]) -> int:
    """A small throttled batch, always on the mock server (a demo spends no money on batches)."""
    import json
    import tempfile
    from pathlib import Path

    with tempfile.TemporaryDirectory(prefix="chatcontract-demo-") as folder:
        source, output = Path(folder) / "requests.jsonl", Path(folder) / "results.jsonl"
        lines = [
            {
                "custom_id": f"q{n:02}",
                "body": {"model": "MiniMax-M2.7", "messages": [{"role": "user", "content": f"Question {n}"}]},
            }
            for n in range(36)
        ]
        lines.append(
            {
                "custom_id": "too-hot",
                "body": {
                    "model": "MiniMax-M2.7",
                    "messages": [{"role": "user", "content": "hi"}],
                    "temperature": 2,
                },
            }
        )
        source.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8"
        )
        command = [
            "batch",
            str(source),
            str(output),
            "--api",
            "minimax",
            "--rpm",
            "600",
            "--concurrency",
            "4",
        ]
        command += ["--base-url", server.base_url("minimax")]
        print(f"\n$ chatcontract {shlex.join(command)}   # always on the mock server", flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "chatcontract", *command],
            env={**env, "MINIMAX_API_KEY": "demo-key"},
            check=False,
        )
        refused = (Path(folder) / "results.errors.jsonl").read_text(encoding="utf-8").strip()
        print(f"refused before sending: {refused}")
        return int(done.returncode != 0)
