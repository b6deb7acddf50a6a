"""Error mapping: status -> error class, what each error carries, and bodies that are not the model."""

from __future__ import annotations

import pickle

import httpx
import pytest
from client_fakes import BASE_URL, PROJECT_ID, RUN_ID, respond, run_payload, sequence

from llamacloud_etl import errors as errors_module
from llamacloud_etl.client import error_class_for_status
from llamacloud_etl.errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    FatalAPIError,
    InvalidRequestError,
    NotFoundError,
    PayloadError,
    RateLimitError,
    RetriableAPIError,
    RetryRefusedError,
    RetryRequestedError,
    ServerError,
    TransportError,
    UnprocessableEntityError,
)

RUN_URL = f"{BASE_URL}/api/v1/extraction/runs/{RUN_ID}"

VALIDATION_422 = {
    "detail": [
        {
            "type": "uuid_parsing",
            "loc": ["query", "extraction_agent_id"],
            "msg": "Input should be a valid UUID, invalid length",
            "input": "abc",
            "ctx": {"error": "invalid length"},
        }
    ]
}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        pytest.param(400, BadRequestError, id="400-bad-request"),
        pytest.param(401, AuthenticationError, id="401-auth"),
        pytest.param(403, AuthenticationError, id="403-auth"),
        pytest.param(404, NotFoundError, id="404-not-found"),
        pytest.param(405, BadRequestError, id="405-other-4xx"),
        pytest.param(408, ServerError, id="408-timeout"),
        pytest.param(409, ServerError, id="409-conflict"),
        pytest.param(410, BadRequestError, id="410-other-4xx"),
        pytest.param(422, UnprocessableEntityError, id="422-unprocessable"),
        pytest.param(429, RateLimitError, id="429-rate-limit"),
        pytest.param(451, BadRequestError, id="451-other-4xx"),
        pytest.param(500, ServerError, id="500"),
        pytest.param(502, ServerError, id="502"),
        pytest.param(503, ServerError, id="503"),
        pytest.param(599, ServerError, id="599"),
        pytest.param(302, FatalAPIError, id="302-unfollowed-redirect"),
    ],
)
def test_status_maps_to_error_class(make_client, status, expected):
    """Each status raises exactly the class of the errors.py table, and is retriable only if that class is."""
    client, _ = make_client(respond(status, {"detail": "nope"}), max_retries=0)
    with pytest.raises(APIError) as info:
        client.get_run(RUN_ID)
    assert type(info.value) is expected
    assert error_class_for_status(status) is expected


@pytest.mark.parametrize(
    ("status", "hint", "expected", "reason"),
    [
        pytest.param(404, "true", RetryRequestedError, "not found", id="404-retry-requested"),
        pytest.param(400, " True ", RetryRequestedError, "bad request", id="400-retry-requested"),
        pytest.param(503, "false", RetryRefusedError, "server error", id="503-retry-refused"),
        pytest.param(429, "FALSE", RetryRefusedError, "rate limited", id="429-retry-refused"),
        pytest.param(404, "false", NotFoundError, "not found", id="404-agrees"),
        pytest.param(503, "true", ServerError, "server error", id="503-agrees"),
    ],
)
def test_x_should_retry_against_the_status_gives_its_variant(make_client, status, hint, expected, reason):
    """An x-should-retry contradicting the status's class gives its variant, naming reason and header."""
    client, _ = make_client(respond(status, {"detail": "nope"}, **{"x-should-retry": hint}), max_retries=0)
    with pytest.raises(APIError) as info:
        client.get_run(RUN_ID)
    note = "" if expected is error_class_for_status(status) else f" (x-should-retry: {hint.strip().lower()})"
    assert type(info.value) is expected
    assert error_class_for_status(status, httpx.Headers({"X-Should-Retry": hint})) is expected
    assert (info.value.status_code, info.value.detail) == (status, "nope")
    assert str(info.value) == f"{reason}{note}: nope (GET {RUN_URL} -> {status})"


def test_request_httpx_will_not_send_is_a_fatal_invalid_request_error(make_client):
    """An unsupported URL scheme is an InvalidRequestError, not retried, chained to the httpx error."""
    exc = httpx.UnsupportedProtocol("Request URL has an unsupported protocol 'ftp://'.")
    client, recorder = make_client(sequence(exc), max_retries=2)
    with pytest.raises(InvalidRequestError, match="request not sent: UnsupportedProtocol") as info:
        client.get_run(RUN_ID)
    assert isinstance(info.value, FatalAPIError) and info.value.status_code is None
    assert info.value.__cause__ is exc
    assert len(recorder.requests) == 1


def test_error_carries_method_url_status_and_detail(make_client):
    """A 404 carries method, the full URL with its query, the status and the API's detail."""
    client, _ = make_client(respond(404, {"detail": "Extraction run not found"}), project_id=PROJECT_ID)
    with pytest.raises(NotFoundError) as info:
        client.get_run(RUN_ID)
    err = info.value
    assert (err.method, err.status_code, err.detail) == ("GET", 404, "Extraction run not found")
    assert err.url == f"{RUN_URL}?project_id={PROJECT_ID}"
    assert str(err) == f"not found: Extraction run not found (GET {RUN_URL}?project_id={PROJECT_ID} -> 404)"


def test_422_keeps_the_validation_detail(make_client):
    """A 422 keeps FastAPI's list of validation errors as detail and names the field in the message."""
    client, _ = make_client(respond(422, VALIDATION_422))
    with pytest.raises(UnprocessableEntityError) as info:
        client.get_run(RUN_ID)
    assert info.value.detail == VALIDATION_422["detail"]
    assert "query.extraction_agent_id: Input should be a valid UUID" in str(info.value)


def test_non_json_5xx_body_becomes_text_detail(make_client):
    """A proxy's HTML 502 page is kept as (stripped) text detail."""
    page = "<html><body><h1>502 Bad Gateway</h1></body></html>\n"
    client, _ = make_client(respond(502, page), max_retries=0)
    with pytest.raises(ServerError) as info:
        client.get_run(RUN_ID)
    assert info.value.detail == page.strip()
    assert info.value.status_code == 502
    assert "502 Bad Gateway" in str(info.value)


def test_huge_detail_is_truncated(make_client):
    """A very long error body is truncated in detail and further in the message."""
    client, _ = make_client(respond(400, "x" * 50_000))
    with pytest.raises(BadRequestError) as info:
        client.get_run(RUN_ID)
    assert len(info.value.detail) == 2000
    assert info.value.detail.endswith("...")
    assert len(str(info.value)) < 500


def test_empty_error_body_has_no_detail(make_client):
    """An error without a body has detail None and a plain message."""
    client, _ = make_client(lambda request: httpx.Response(403), max_retries=0)
    with pytest.raises(AuthenticationError) as info:
        client.get_run(RUN_ID)
    assert info.value.detail is None
    assert str(info.value) == f"authentication failed (GET {RUN_URL} -> 403)"


def test_json_body_without_detail_key_is_kept_whole(make_client):
    """A JSON error body that is not FastAPI-shaped is kept as detail as is."""
    client, _ = make_client(respond(400, {"error": "bad", "code": 7}))
    with pytest.raises(BadRequestError) as info:
        client.get_run(RUN_ID)
    assert info.value.detail == {"error": "bad", "code": 7}


@pytest.mark.parametrize(
    "exc",
    [
        pytest.param(httpx.ConnectError("connection refused"), id="connect"),
        pytest.param(httpx.ReadTimeout("timed out"), id="read-timeout"),
        pytest.param(httpx.RemoteProtocolError("server disconnected"), id="disconnect"),
    ],
)
def test_transport_failure_is_transport_error(make_client, exc):
    """Connection errors and timeouts become TransportError with no status, chained to the httpx error."""
    client, _ = make_client(sequence(exc), max_retries=0)
    with pytest.raises(TransportError) as info:
        client.get_run(RUN_ID)
    assert info.value.status_code is None
    assert info.value.url == RUN_URL
    assert info.value.__cause__ is exc
    assert isinstance(info.value, RetriableAPIError)


def test_timeout_message_says_timed_out(make_client):
    """A timeout is reported as such."""
    client, _ = make_client(sequence(httpx.ReadTimeout("read timed out")), max_retries=0)
    with pytest.raises(TransportError, match="timed out: ReadTimeout"):
        client.get_run(RUN_ID)


def test_missing_required_field_is_payload_error(make_client):
    """A 200 run without its required status is a PayloadError naming the model, the URL and the field."""
    body = run_payload()
    del body["status"]
    client, _ = make_client(respond(200, body))
    with pytest.raises(PayloadError) as info:
        client.get_run(RUN_ID)
    message = str(info.value)
    assert "ExtractRun" in message
    assert RUN_URL in message
    assert "status: Field required" in message


def test_non_json_200_is_payload_error(make_client):
    """A 200 that is not JSON at all is a PayloadError, not a decoding crash."""
    client, _ = make_client(respond(200, "<html>maintenance</html>"))
    with pytest.raises(PayloadError, match="not a valid ExtractRun"):
        client.get_run(RUN_ID)


def test_wrong_list_shape_is_payload_error(make_client):
    """An agent listing that is an object instead of an array names the list model."""
    client, _ = make_client(respond(200, {"items": []}))
    with pytest.raises(PayloadError, match=r"list\[ExtractAgent\]"):
        client.list_agents()


def test_payload_error_omits_input_values(make_client):
    """Validation messages leave the offending values out (they are API data)."""
    client, _ = make_client(respond(200, run_payload(status="SECRET-LOOKING-VALUE")))
    with pytest.raises(PayloadError) as info:
        client.get_run(RUN_ID)
    assert "SECRET-LOOKING-VALUE" not in str(info.value)
    assert "status" in str(info.value)


def test_unknown_fields_are_tolerated(make_client):
    """Extra keys in a run (a newer API) do not fail validation."""
    client, _ = make_client(respond(200, run_payload(brand_new_field={"x": 1})))
    assert client.get_run(RUN_ID).id == RUN_ID


@pytest.mark.parametrize(
    "error",
    [
        pytest.param(errors_module.InvalidIdError("run", "nope"), id="invalid-id"),
        pytest.param(errors_module.RunNotReadyError(RUN_ID, "PENDING"), id="not-ready"),
        pytest.param(
            errors_module.NotFoundError(
                "not found", method="GET", url=f"{BASE_URL}/x", status_code=404, detail="gone"
            ),
            id="not-found",
        ),
        pytest.param(
            errors_module.RateLimitError("slow down", method="GET", url="u", retry_after=2.0), id="429"
        ),
        pytest.param(
            errors_module.RetryRequestedError(
                "not found (x-should-retry: true)", method="GET", url="u", status_code=404, retry_after=1.0
            ),
            id="retry-requested",
        ),
        pytest.param(errors_module.FlattenError(RUN_ID, "$.total", "not a number"), id="flatten"),
        pytest.param(errors_module.StorageError("disk full"), id="storage"),
    ],
)
def test_errors_survive_pickling(error):
    """An error crosses a process boundary with its type, message and attributes (worker landings)."""
    again = pickle.loads(pickle.dumps(error))  # noqa: S301 - our own bytes, made one line above
    assert type(again) is type(error)
    assert str(again) == str(error)
    assert vars(again) == vars(error)
