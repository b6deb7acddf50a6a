"""Bodies of whole runs are parsed with orjson where it is exact: the same runs, values and errors."""

from __future__ import annotations

import json
import math
from typing import Any

import httpx
import pytest
from client_fakes import RUN_ID, run_payload

from llamacloud_etl.client._client import _RUN, _RUNS_PAGE
from llamacloud_etl.client._json import loads_exact
from llamacloud_etl.emulator import EmulatorApp, build_dataset
from llamacloud_etl.errors import PayloadError

BEYOND_64_BITS = 123456789012345678901234567890
KEY = "llx-json-test-key-0000"


def _body(text: str) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=text.encode(), headers={"content-type": "application/json"})

    return handler


def test_an_integer_beyond_64_bits_lands_as_the_exact_integer(make_client: Any) -> None:
    """orjson would make it a float; such a body is parsed by pydantic, exactly."""
    client, _ = make_client(_body(json.dumps(run_payload(data={"n": BEYOND_64_BITS}))))
    value = client.get_run(RUN_ID).data["n"]
    assert type(value) is int and value == BEYOND_64_BITS


def test_twenty_digits_in_a_row_anywhere_leave_the_body_to_pydantic() -> None:
    """Digits inside a string are enough: the check looks at bytes, not at values."""
    assert loads_exact(b'{"a": "id 12345678901234567890"}') is None
    assert loads_exact(b'{"a": 1234567890123456789}') == {"a": 1234567890123456789}


def test_nan_in_a_run_is_still_accepted(make_client: Any) -> None:
    """orjson refuses NaN; pydantic's parser takes it, as it did before."""
    text = json.dumps(run_payload(data={"x": 1.5})).replace("1.5", "NaN")
    client, _ = make_client(_body(text))
    assert math.isnan(client.get_run(RUN_ID).data["x"])


def test_a_lone_surrogate_is_still_a_payload_error(make_client: Any) -> None:
    """Both parsers refuse it; the error is pydantic's PayloadError, as before."""
    text = json.dumps(run_payload(data={"x": "PLACEHOLDER"})).replace("PLACEHOLDER", "\\ud800")
    client, _ = make_client(_body(text))
    with pytest.raises(PayloadError, match="not a valid ExtractRun"):
        client.get_run(RUN_ID)


def test_a_run_is_the_same_model_from_either_parser() -> None:
    """orjson then validation of Python objects gives the model pydantic's own JSON parsing gives."""
    content = json.dumps(run_payload(data={"n": 3, "f": 3.0, "t": True, "s": "é\u2028"})).encode()
    parsed = loads_exact(content)
    assert parsed is not None
    assert _RUN.adapter.validate_python(parsed) == _RUN.adapter.validate_json(content)


def test_every_page_of_an_emulated_history_is_the_same_from_either_parser() -> None:
    """Every listing page of a 400-run data set: equal models, value types included."""
    dataset = build_dataset(400, seed=3)
    transport = httpx.WSGITransport(app=EmulatorApp(dataset, api_key=KEY))
    pages = 0
    with httpx.Client(transport=transport, base_url="http://127.0.0.1") as http:
        for agent in dataset.agents:
            params = {"extraction_agent_id": agent["id"], "limit": 25, "skip": 0}
            headers = {"Authorization": f"Bearer {KEY}"}
            while True:
                content = http.get("/api/v1/extraction/runs", params=params, headers=headers).content
                parsed = loads_exact(content)
                assert parsed is not None
                fast, exact = (
                    _RUNS_PAGE.adapter.validate_python(parsed),
                    _RUNS_PAGE.adapter.validate_json(content),
                )
                assert fast == exact and repr(fast) == repr(exact)
                pages += 1
                if not fast.items:
                    break
                params["skip"] += len(fast.items)
    assert pages > len(dataset.agents)
