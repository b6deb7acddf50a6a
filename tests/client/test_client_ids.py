"""IDs are validated before any request, and only canonical UUIDs ever reach a URL path."""

from __future__ import annotations

import pytest
from client_fakes import RUN_ID, respond, run_payload

from llamacloud_etl.errors import InvalidIdError

BAD_IDS = [
    pytest.param("../../api/v1/extraction/jobs", id="path-traversal"),
    pytest.param("", id="empty"),
    pytest.param(f"{{{RUN_ID}}}", id="braces"),
    pytest.param(RUN_ID.replace("-", ""), id="no-dashes"),
    pytest.param(f"urn:uuid:{RUN_ID}", id="urn"),
    pytest.param(f" {RUN_ID} ", id="padded"),
    pytest.param(RUN_ID[:-1] + "g", id="non-hex"),
    pytest.param(RUN_ID[:-2] + "%2F", id="percent-encoding"),
    pytest.param(RUN_ID[:-1] + "?", id="query-char"),
    pytest.param(None, id="none"),
    pytest.param(12345, id="int"),
]

METHODS = [
    pytest.param(lambda c, i: c.get_run(i), "run", id="get_run"),
    pytest.param(lambda c, i: c.get_run_by_job(i), "job", id="get_run_by_job"),
    pytest.param(lambda c, i: c.get_agent(i), "agent", id="get_agent"),
    pytest.param(lambda c, i: c.list_jobs(i), "agent", id="list_jobs"),
    pytest.param(lambda c, i: c.get_job(i), "job", id="get_job"),
    pytest.param(lambda c, i: c.get_job_result(i), "job", id="get_job_result"),
    pytest.param(lambda c, i: c.list_runs(i), "agent", id="list_runs"),
]


@pytest.mark.parametrize("bad_id", BAD_IDS)
@pytest.mark.parametrize(("call", "kind"), METHODS)
def test_malformed_id_is_refused_without_a_request(make_client, call, kind, bad_id):
    """Every method raises InvalidIdError naming the kind of ID, and sends nothing."""
    client, recorder = make_client(respond(200, {}))
    with pytest.raises(InvalidIdError, match=f"malformed {kind} ID"):
        call(client, bad_id)
    assert recorder.requests == []
    assert client.stats.requests == 0


def test_invalid_id_error_is_a_value_error():
    """InvalidIdError can be caught as ValueError too."""
    assert issubclass(InvalidIdError, ValueError)


def test_uppercase_id_is_normalised_in_the_path(make_client):
    """An upper-case UUID is accepted and sent in canonical lower case."""
    client, recorder = make_client(respond(200, run_payload()))
    client.get_run(RUN_ID.upper())
    assert recorder.requests[0].url.path == f"/api/v1/extraction/runs/{RUN_ID}"


def test_list_runs_validates_at_call_time(make_client):
    """list_runs raises on a bad agent ID when called, not later when iterated."""
    client, _ = make_client(respond(200, {}))
    with pytest.raises(InvalidIdError):
        client.list_runs("not-an-id")
