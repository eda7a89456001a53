"""Each API's documented rules, case by case from tests/fixtures/<api>/rules.yaml."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest
import respx

import chatcontract
from tests import specs


def _ids(cases: list[tuple[str, dict[str, Any], dict[str, Any]]]) -> list[str]:
    """Short ASCII ids (api, position, parameter names): mutmut selects tests by id, and an id
    with the JSON of a case (non-ASCII, backslashes) comes out escaped differently when pytest
    collects again in the same process."""
    return [f"{api}-{n}-{'-'.join(entry['params'])}" for n, (api, _, entry) in enumerate(cases)]


VIOLATIONS = specs.rule_cases("violations")
ACCEPTED = specs.rule_cases("accepted")


@pytest.mark.parametrize("case", VIOLATIONS, ids=_ids(VIOLATIONS))
def test_violation_raises_before_sending(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    api, base, entry = case
    with respx.mock(assert_all_called=False, assert_all_mocked=True) as router:
        route = router.route().respond(200)
        with pytest.raises(chatcontract.RequestValidationError) as raised:
            specs.client(api).chat.completions.create(**{**base, **entry["params"]})
    assert route.call_count == 0
    error = raised.value
    assert isinstance(error, ValueError)
    assert error.field == entry["field"]
    assert str(error).startswith(f"{entry['field']}: ")
    assert entry["rule"] in str(error)
    assert specs.API_KEY not in str(error)
    if not entry.get("client_only"):
        with pytest.raises(jsonschema.ValidationError):  # the spec, read independently, agrees
            specs.check_against_spec(api, "request", {**base, **entry["params"]})


@pytest.mark.parametrize("case", ACCEPTED, ids=_ids(ACCEPTED))
def test_accepted_request_is_sent(case: tuple[str, dict[str, Any], dict[str, Any]]) -> None:
    api, base, entry = case
    url, op = specs.operation(api)
    response = op["responses"]["200"]["content"]["application/json"]["examples"]["documented"]["value"]
    params = {**base, **entry["params"]}
    with respx.mock(assert_all_called=True, assert_all_mocked=True) as router:
        route = router.post(url).respond(200, json=response)
        specs.client(api).chat.completions.create(**params)
    sent = json.loads(route.calls.last.request.content)
    assert sent == params
    specs.check_against_spec(api, "request", sent)
