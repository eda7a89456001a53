"""``chatcontract chat``: one prompt, the answer and reasoning printed apart, then token usage.

The parameter options are made from the generated request models, so each documented
parameter of each API has an option (``--temperature``, ``--top-k``, ``--max-tokens``, ...);
one that the chosen model does not document is refused by the client, naming the rule.
"""

from __future__ import annotations

import argparse
import json
import sys
import types
from typing import Any, TextIO, Union, get_args, get_origin

from .. import _registry
from .._client import SyncClient
from .._exceptions import ChatContractError
from .._reasoning import Reasoning, ThinkSplitter, split_reasoning
from ._exit_codes import exit_code_for

# API id -> its client class, every generated API (``chatcontract._generated.APIS``).
CLIENTS: dict[str, type[SyncClient]] = {api: _registry.client_class(api) for api in _registry.ids()}
_HANDLED = {"model", "messages", "stream"}
_DIM, _RESET = "\033[2m", "\033[0m"


def _scalar(annotation: Any) -> Any:
    """``int`` for ``int | None`` and the like."""
    if get_origin(annotation) in (Union, types.UnionType):
        annotation = next(a for a in get_args(annotation) if a is not type(None))
    return get_origin(annotation) or annotation


def _parameters() -> dict[str, tuple[Any, str]]:
    """Documented parameter -> (Python type, help) over every endpoint of every client."""
    found: dict[str, tuple[Any, str]] = {}
    for client in CLIENTS.values():
        for endpoint in client._api.endpoints:
            for name, field in endpoint.request_model.model_fields.items():
                if name in _HANDLED:
                    continue
                rule = f"{'/'.join(endpoint.models)}: {endpoint.rules[name]}"
                kind, text = found.get(name, (_scalar(field.annotation), ""))
                found[name] = (kind, f"{text}; {rule}" if text else rule)
    return found


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="chatcontract chat", description=__doc__.splitlines()[0])
    p.add_argument("prompt", help="the user message")
    p.add_argument("--api", choices=sorted(CLIENTS), required=True, help="which vendor's API")
    p.add_argument("--model", required=True, help="a documented model of that API")
    p.add_argument("--system", help="a system message before the prompt")
    p.add_argument("--stream", action="store_true", help="print the reply as it streams")
    p.add_argument("--base-url", help="server to call instead of the documented one (or the env var)")
    p.add_argument("--timeout", type=float, help="seconds before giving up")
    p.add_argument("--max-retries", type=int, default=2, help="retries on transient errors (default: 2)")
    p.add_argument("--strict", action="store_true", help="check the response against the spec exactly")
    for name, (kind, text) in sorted(_parameters().items()):
        flag = "--" + name.replace("_", "-")
        if kind is bool:
            p.add_argument(flag, dest=name, action=argparse.BooleanOptionalAction, default=None, help=text)
        elif kind is dict:
            p.add_argument(flag, dest=name, type=json.loads, help=f"JSON object; {text}")
        elif kind is list or not callable(kind):  # a list of objects (tools): JSON
            p.add_argument(flag, dest=name, type=json.loads, help=f"JSON; {text}")
        else:
            p.add_argument(flag, dest=name, type=kind, help=text)
    return p


class Printer:
    """Reasoning dimmed on a terminal (labelled otherwise), then the answer."""

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self.tty = out.isatty()
        self.section = ""

    def write(self, part: Reasoning) -> None:
        for section, text in (("reasoning", part.reasoning), ("answer", part.answer)):
            if not text:
                continue
            if section != self.section:
                if self.section:
                    self.out.write("\n")
                if not self.tty:
                    self.out.write(f"[{section}]\n")
                self.section = section
            self.out.write(f"{_DIM}{text}{_RESET}" if self.tty and section == "reasoning" else text)
            self.out.flush()

    def usage(self, usage: Any) -> None:
        if self.section:
            self.out.write("\n")
        if usage is None:
            self.out.write("[usage] not reported\n")
            return
        fields = ("prompt_tokens", "completion_tokens", "total_tokens")
        text = ", ".join(
            f"{f.split('_')[0]} {getattr(usage, f)}" for f in fields if getattr(usage, f, None) is not None
        )
        details = getattr(usage, "completion_tokens_details", None)
        reasoning = getattr(details, "reasoning_tokens", None) if details is not None else None
        if reasoning is not None:
            text += f", reasoning {reasoning}"
        self.out.write(f"[usage] tokens: {text}\n")


def run(args: argparse.Namespace, out: TextIO) -> None:
    params = {name: getattr(args, name) for name in _parameters() if getattr(args, name) is not None}
    messages = ([{"role": "system", "content": args.system}] if args.system else []) + [
        {"role": "user", "content": args.prompt}
    ]
    options: dict[str, Any] = {"base_url": args.base_url, "max_retries": args.max_retries}
    if args.timeout is not None:
        options["timeout"] = args.timeout
    printer = Printer(out)
    with CLIENTS[args.api](strict_responses=args.strict, **options) as client:
        create: Any = client.chat.completions.create
        if not args.stream:
            reply = create(model=args.model, messages=messages, **params)
            printer.write(split_reasoning(reply))
            printer.usage(reply.usage)
            return
        splitter, usage = ThinkSplitter(), None
        with create(model=args.model, messages=messages, stream=True, **params) as stream:
            for chunk in stream:
                usage = chunk.usage or usage
                for choice in chunk.choices[:1]:
                    printer.write(splitter.feed(choice.delta))
        printer.write(splitter.flush())
        printer.usage(usage)


def chat_main(argv: list[str]) -> int:
    args = parser().parse_args(argv)
    try:
        run(args, sys.stdout)
    except ChatContractError as error:
        code, hint = exit_code_for(error)
        api = CLIENTS[args.api]._api
        hint = hint.format(key_env=api.api_key_env, base_url_env=api.base_url_env)
        print(f"\nerror: {type(error).__name__}: {error}\nhint: {hint}", file=sys.stderr)
        return code
    return 0
