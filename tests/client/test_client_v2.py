"""The v2 client: SDK query encoding, cursor paging, IDs in paths, errors, retries and parallel fetch."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from client_fakes import (
    API_KEY,
    ORG_ID,
    PROJECT_ID,
    V2_CONFIG_ID,
    V2_JOB_ID,
    CursorAPI,
    config_payload,
    respond,
    v2_job_id,
    v2_job_payload,
)

from llamacloud_etl.client import ExtractV2Client
from llamacloud_etl.errors import (
    AuthenticationError,
    ConfigurationError,
    InvalidIdError,
    NotFoundError,
    PaginationError,
    ServerError,
)
from llamacloud_etl.models_v2 import ExtractV2JobSummary
from llamacloud_etl.settings import ApiSettings

AFTER = datetime(2026, 4, 1, tzinfo=UTC)
BEFORE = datetime(2026, 4, 30, 23, 59, 59, tzinfo=UTC)


def jobs(*ns):
    """Job payloads numbered ``ns``."""
    return [v2_job_payload(v2_job_id(n)) for n in ns]


def ids(pages):
    """The job IDs of listed pages, one list per page."""
    return [[job.id for job in page] for page in pages]


def test_list_query_is_encoded_as_the_sdk_does(make_v2_client):
    """Filters go under the SDK's names, lists repeated, datetimes isoformat, scope added, None left out."""
    api = CursorAPI([jobs(0)], [None])
    client, recorder = make_v2_client(api, project_id=PROJECT_ID, organization_id=ORG_ID)
    list(
        client.list_job_pages(
            created_on_or_after=AFTER,
            created_on_or_before=BEFORE,
            status="COMPLETED",
            configuration_id=V2_CONFIG_ID,
            job_ids=[v2_job_id(0), v2_job_id(1)],
            expand=["configuration", "extract_metadata"],
            page_size=50,
        )
    )
    assert recorder.requests[0].url.path == "/api/v2/extract"
    assert sorted(api.queries[0]) == sorted(
        [
            ("configuration_id", V2_CONFIG_ID),
            ("created_at_on_or_after", "2026-04-01T00:00:00+00:00"),
            ("created_at_on_or_before", "2026-04-30T23:59:59+00:00"),
            ("expand", "configuration"),
            ("expand", "extract_metadata"),
            ("page_size", "50"),
            ("status", "COMPLETED"),
            ("project_id", PROJECT_ID),
            ("organization_id", ORG_ID),
            ("job_ids", v2_job_id(0)),
            ("job_ids", v2_job_id(1)),
        ]
    )
    assert "%2B00%3A00" in str(recorder.requests[0].url)


def test_unset_filters_are_not_sent(make_v2_client):
    """With no filter given only page_size is sent."""
    api = CursorAPI([jobs(0)], [None])
    client, _ = make_v2_client(api)
    list(client.list_job_pages(page_size=10))
    assert api.queries == [[("page_size", "10")]]


def test_next_pages_repeat_the_query_plus_page_token(make_v2_client):
    """Each following request is the first request's query with page_token added, until a null token."""
    api = CursorAPI([jobs(0, 1), jobs(2, 3), jobs(4)], ["t1", "t2", None])
    client, _ = make_v2_client(api)
    pages = list(client.list_job_pages(status="FAILED", expand=["configuration"], page_size=2))
    assert ids(pages) == [[v2_job_id(0), v2_job_id(1)], [v2_job_id(2), v2_job_id(3)], [v2_job_id(4)]]
    first = api.queries[0]
    assert api.queries[1:] == [[*first, ("page_token", "t1")], [*first, ("page_token", "t2")]]


@pytest.mark.parametrize(
    "last_token", [pytest.param("", id="empty-token"), pytest.param("omit", id="no-token-key")]
)
def test_empty_or_missing_token_ends_the_listing(make_v2_client, last_token):
    """An empty-string or absent next_page_token ends paging, as a null one does."""
    api = CursorAPI([jobs(0), jobs(1)], ["t1", last_token])
    client, _ = make_v2_client(api)
    assert ids(client.list_job_pages(page_size=1)) == [[v2_job_id(0)], [v2_job_id(1)]]
    assert len(api.queries) == 2


def test_empty_page_ends_the_listing_despite_a_token(make_v2_client):
    """A page without items ends paging even if it carries a token, and yields no empty list."""
    api = CursorAPI([jobs(0), [], jobs(9)], ["t1", "t2", None])
    client, _ = make_v2_client(api)
    assert ids(client.list_job_pages(page_size=1)) == [[v2_job_id(0)]]
    assert len(api.queries) == 2


def test_repeated_token_raises_instead_of_looping(make_v2_client):
    """A server handing out a token it gave before gets a PaginationError after the pages already read."""
    api = CursorAPI([jobs(0), jobs(1)], ["t1", "t1"])
    client, _ = make_v2_client(api)
    pages = client.list_job_pages(page_size=1)
    assert ids([next(pages), next(pages)]) == [[v2_job_id(0)], [v2_job_id(1)]]
    with pytest.raises(PaginationError, match=r"GET /api/v2/extract: page 2 gave next_page_token 't1'"):
        next(pages)
    assert len(api.queries) == 2


def test_token_repeating_an_older_one_is_caught_too(make_v2_client):
    """A cycle longer than one page (t1, t2, t1) is caught when it comes back to t1."""
    api = CursorAPI([jobs(0), jobs(1), jobs(2)], ["t1", "t2", "t1"])
    client, _ = make_v2_client(api)
    with pytest.raises(PaginationError):
        list(client.list_job_pages(page_size=1))
    assert len(api.queries) == 3


def test_closing_the_listing_stops_before_the_next_request(make_v2_client):
    """After one page is taken and the iterator closed, no second page is requested."""
    api = CursorAPI([jobs(0), jobs(1)], ["t1", None])
    client, _ = make_v2_client(api)
    pages = client.list_job_pages(page_size=1)
    next(pages)
    pages.close()
    assert len(api.queries) == 1


def test_empty_job_ids_list_nothing_without_a_request(make_v2_client):
    """job_ids=[] yields nothing and sends nothing (the API would take it as no filter)."""
    client, recorder = make_v2_client(respond(500))
    assert list(client.list_job_pages(job_ids=[], page_size=5)) == []
    assert recorder.requests == []


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        pytest.param({"job_ids": ["ext-ok", "ext-../x"]}, InvalidIdError, "malformed job ID", id="bad-job"),
        pytest.param(
            {"configuration_id": "ext-1"}, InvalidIdError, "malformed configuration ID", id="job-as-config"
        ),
        pytest.param(
            {"created_on_or_after": datetime(2026, 4, 1)}, ValueError, "timezone-aware", id="naive-datetime"
        ),
        pytest.param({"page_size": 0}, ValueError, "page_size must be at least 1", id="page-size-0"),
    ],
)
def test_bad_arguments_fail_at_call_time(make_v2_client, kwargs, error, message):
    """A malformed ID, a naive datetime or a page size below 1 raises at call time, with no request."""
    client, recorder = make_v2_client(respond(500))
    with pytest.raises(error, match=message):
        client.list_job_pages(**{"page_size": 5, **kwargs})
    assert recorder.requests == []


def test_summaries_read_ids_status_and_schema(make_v2_client):
    """Summary pages ask for the configuration and give its schema, skipping results and metadata."""
    schema = {"type": "object", "title": "inv"}
    body = v2_job_payload(configuration={"data_schema": schema, "tier": "agentic"})
    api = CursorAPI([[body]], [None])
    client, _ = make_v2_client(api)
    [[summary]] = list(client.list_job_summary_pages(status="COMPLETED", page_size=100))
    assert isinstance(summary, ExtractV2JobSummary)
    assert (summary.id, summary.status, summary.configuration_id) == (V2_JOB_ID, "COMPLETED", V2_CONFIG_ID)
    assert summary.data_schema == schema
    assert not hasattr(summary, "extract_result")
    assert ("expand", "configuration") in api.queries[0]


def test_get_job_path_expand_and_scope(make_v2_client):
    """get_job sends GET /api/v2/extract/{id} with expand repeated and the project scope."""
    client, recorder = make_v2_client(respond(200, v2_job_payload()), project_id=PROJECT_ID)
    job = client.get_job(V2_JOB_ID, expand=["configuration", "usage"])
    request = recorder.requests[0]
    assert job.id == V2_JOB_ID
    assert request.url.raw_path.split(b"?")[0] == f"/api/v2/extract/{V2_JOB_ID}".encode()
    assert request.url.params.multi_items() == [
        ("expand", "configuration"),
        ("expand", "usage"),
        ("project_id", PROJECT_ID),
    ]


@pytest.mark.parametrize("bad", ["ext-../x", "ext-a/../../v1", "../ext-1", "ext-1?x=1"])
def test_path_injection_never_reaches_a_request(make_v2_client, bad):
    """An ID built to escape its path segment raises InvalidIdError and nothing is sent."""
    client, recorder = make_v2_client(respond(200, v2_job_payload()))
    with pytest.raises(InvalidIdError):
        client.get_job(bad)
    with pytest.raises(InvalidIdError):
        client.get_configuration(bad.replace("ext-", "cfg-"))
    assert recorder.requests == []


def test_job_404_is_not_found_naming_the_job(make_v2_client):
    """A 404 for a job raises NotFoundError whose message carries the job's URL and the API's detail."""
    client, _ = make_v2_client(respond(404, {"detail": "Extract job not found"}))
    with pytest.raises(NotFoundError, match=rf"Extract job not found .*/api/v2/extract/{V2_JOB_ID} -> 404"):
        client.get_job(V2_JOB_ID)


def test_configuration_404_is_not_found_naming_it(make_v2_client):
    """A 404 for a configuration raises NotFoundError naming its URL."""
    client, _ = make_v2_client(respond(404, {"detail": "Configuration not found"}))
    with pytest.raises(NotFoundError, match=rf"/api/v1/beta/configurations/{V2_CONFIG_ID} -> 404"):
        client.get_configuration(V2_CONFIG_ID)


@pytest.mark.parametrize("status", [401, 403])
def test_auth_failures_are_authentication_errors_without_retry(make_v2_client, status):
    """401 and 403 raise AuthenticationError after one attempt, with no key in the message."""
    client, recorder = make_v2_client(respond(status, {"detail": f"Invalid token {API_KEY}"}))
    with pytest.raises(AuthenticationError) as info:
        list(client.list_job_pages(page_size=5))
    assert len(recorder.requests) == 1
    assert API_KEY not in str(info.value) and API_KEY not in repr(info.value.detail)


def test_server_errors_are_retried_within_a_listing(make_v2_client):
    """A 503 on the second page is retried, and the listing goes on where it was."""
    api = CursorAPI([jobs(0), jobs(1)], ["t1", None])
    failures = [httpx.Response(503, json={"detail": "busy"})]

    def handler(request):
        if request.url.params.get("page_token") == "t1" and failures:
            return failures.pop()
        return api(request)

    client, recorder = make_v2_client(handler)
    assert ids(client.list_job_pages(page_size=1)) == [[v2_job_id(0)], [v2_job_id(1)]]
    assert [r.url.params.get("page_token") for r in recorder.requests] == [None, "t1", "t1"]
    assert client.stats.retries == 1


def test_exhausted_retries_raise_the_server_error_without_the_key(make_v2_client):
    """Persistent 500s echoing the key raise ServerError after max_retries + 1 attempts, key masked."""
    client, recorder = make_v2_client(respond(500, {"detail": f"Bearer {API_KEY} rejected"}), max_retries=2)
    with pytest.raises(ServerError) as info:
        client.get_job(V2_JOB_ID)
    assert len(recorder.requests) == 3
    assert API_KEY not in str(info.value) and API_KEY not in str(info.value.detail)


def test_fetch_jobs_yields_one_result_per_id(make_v2_client):
    """Good IDs give jobs, a 404 a NotFoundError, a malformed ID an InvalidIdError without a request."""
    missing = v2_job_id(9)

    def handler(request):
        jid = request.url.path.rsplit("/", 1)[1]
        return httpx.Response(404) if jid == missing else httpx.Response(200, json=v2_job_payload(jid))

    client, recorder = make_v2_client(handler)
    wanted = [v2_job_id(0), v2_job_id(1), missing, "ext-../x"]
    results = {r.job_id: r for r in client.fetch_jobs(wanted, expand=["extract_metadata"], max_concurrency=2)}
    assert set(results) == set(wanted)
    assert results[v2_job_id(0)].ok and results[v2_job_id(0)].job.id == v2_job_id(0)
    assert isinstance(results[missing].error, NotFoundError)
    assert isinstance(results["ext-../x"].error, InvalidIdError)
    assert len(recorder.requests) == 3
    assert all(r.url.params.get_list("expand") == ["extract_metadata"] for r in recorder.requests)


def test_list_configurations_pages_with_product_type(make_v2_client):
    """Configurations are listed across cursor pages, filtered by product_type, with the scope."""
    api = CursorAPI([[config_payload()], [config_payload("cfg-2", name="receipts")]], ["c1", None])
    client, recorder = make_v2_client(api, project_id=PROJECT_ID)
    found = client.list_configurations()
    assert [c.id for c in found] == [V2_CONFIG_ID, "cfg-2"]
    assert recorder.requests[0].url.path == "/api/v1/beta/configurations"
    assert api.queries == [
        [("project_id", PROJECT_ID), ("product_type", "extract_v2")],
        [("project_id", PROJECT_ID), ("product_type", "extract_v2"), ("page_token", "c1")],
    ]


def test_list_configurations_stops_on_a_repeated_token(make_v2_client):
    """The configuration listing has the same repeated-token guard as the job listing."""
    api = CursorAPI([[config_payload()], [config_payload("cfg-2")]], ["c1", "c1"])
    client, _ = make_v2_client(api)
    with pytest.raises(PaginationError, match="GET /api/v1/beta/configurations"):
        client.list_configurations(None)
    assert api.queries[0] == []


def test_get_configuration(make_v2_client):
    """get_configuration reads one saved configuration from its path."""
    client, recorder = make_v2_client(respond(200, config_payload()))
    configuration = client.get_configuration(V2_CONFIG_ID)
    assert configuration.name == "invoices"
    assert recorder.requests[0].url.path == f"/api/v1/beta/configurations/{V2_CONFIG_ID}"


def test_from_settings_and_plain_http_refusal():
    """from_settings builds a v2 client with the shared rules: plain http to a remote host is refused."""
    ok = ApiSettings(api_key=API_KEY, base_url="eu", project_id=PROJECT_ID, max_retries=1)
    with ExtractV2Client.from_settings(ok, transport=httpx.MockTransport(respond(200))) as client:
        assert (client.base_url, client.project_id, client.max_retries) == (
            "https://api.cloud.eu.llamaindex.ai",
            PROJECT_ID,
            1,
        )
        assert API_KEY not in repr(client) and repr(client).startswith("ExtractV2Client(")
    with pytest.raises(ConfigurationError, match="plain http"):
        ExtractV2Client.from_settings(ApiSettings(api_key=API_KEY, base_url="http://example.com"))
