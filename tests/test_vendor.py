"""``make vendor``: the copy imports and replays a documented exchange with only httpx and pydantic."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from codegen.vendor import vendor
from tests import specs

SCRIPT = """
import json, sys
sys.path.insert(0, sys.argv[2])  # the repo that vendored the client; -I dropped everything else
import httpx
import {name}

exchange = json.loads(sys.argv[1])
sent = []

def handler(request):
    sent.append(request)
    return httpx.Response(200, json=exchange["response"])

client = {name}.MiniMax(api_key="k", http_client=httpx.Client(transport=httpx.MockTransport(handler)))
reply = client.chat.completions.create(**exchange["request"])
assert reply.model_dump(mode="json", exclude_unset=True) == exchange["response"]
assert json.loads(sent[0].content) == exchange["request"]
assert str(sent[0].url) == exchange["url"]
try:
    client.chat.completions.create(model="MiniMax-M2.7", messages=[], temperature=0)
except {name}.RequestValidationError as error:
    print("rule:", error.field)
FORBIDDEN = ("chatcontract", "codegen", "yaml", "jinja2", "pytest")
leaked = sorted(m for m in sys.modules if m.split(".")[0] in FORBIDDEN)
assert not leaked, leaked
print("vendored OK:", {name}.__file__)
"""


def test_vendored_copy_works_alone(tmp_path: Path) -> None:
    target = vendor(tmp_path, "acme_llm")
    assert (target / "_generated" / "minimax_models.py").is_file()
    assert not (target / "mock").exists() and not (target / "cli").exists()
    exchange = next(e for e in specs.exchanges() if e.api == "minimax")
    payload = json.dumps({"request": exchange.request, "response": exchange.response, "url": exchange.url})
    done = subprocess.run(
        [sys.executable, "-I", "-c", SCRIPT.format(name="acme_llm"), payload, str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert f"vendored OK: {target / '__init__.py'}" in done.stdout
    assert "rule: messages" in done.stdout
