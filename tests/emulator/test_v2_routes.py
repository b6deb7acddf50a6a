"""The v2 routes over HTTP: job and configuration listings, filters, cursor pages, expand, errors, faults."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest

from llamacloud_etl.emulator import Dataset, EmulatorApp, EmulatorServer, build_dataset

from .conftest import AUTH

EXTRACT = "/api/v2/extract"
CONFIGURATIONS = "/api/v1/beta/configurations"
ALL = ["configuration", "extract_metadata", "usage"]


@pytest.fixture(scope="module")
def v2_dataset() -> Dataset:
    """120 extractions split at 2026-09-22: about 50 v2 jobs of every status."""
    return build_dataset(120, seed=3, v2_from=date(2026, 9, 22))


@pytest.fixture
def v2_app(v2_dataset: Dataset) -> EmulatorApp:
    """A fresh app per test."""
    return EmulatorApp(v2_dataset)


@pytest.fixture
def v2_http(v2_app: EmulatorApp) -> httpx.Client:
    """An in-process client on the app."""
    return httpx.Client(transport=httpx.WSGITransport(app=v2_app), base_url="http://emulator", headers=AUTH)


def walk_pages(http: httpx.Client, path: str, params: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every page of a cursor listing, following next_page_token as the SDK does."""
    token = None
    while True:
        page = http.get(path, params={**params, **({"page_token": token} if token else {})})
        assert page.status_code == 200, page.text
        body = page.json()
        yield body
        token = body["next_page_token"]
        if not token:
            return


def listed_ids(http: httpx.Client, **params: Any) -> list[str]:
    """The ids of every job a listing with these parameters returns, over all its pages."""
    return [job["id"] for page in walk_pages(http, EXTRACT, params) for job in page["items"]]


def test_listing_pages_to_the_end_in_order(v2_http: httpx.Client, v2_dataset: Dataset) -> None:
    """page_size=7 walks every job newest first over several pages; the last has a null token."""
    pages = list(walk_pages(v2_http, EXTRACT, {"page_size": 7}))
    assert len(pages) == -(-len(v2_dataset.v2_jobs) // 7)
    assert [job["id"] for page in pages for job in page["items"]] == [j["id"] for j in v2_dataset.v2_jobs]
    assert (pages[-1]["next_page_token"], pages[0]["total_size"]) == (None, None)


def test_default_page_size_is_twenty(v2_http: httpx.Client) -> None:
    """Without page_size a page holds 20 jobs."""
    assert len(v2_http.get(EXTRACT).json()["items"]) == 20


def test_keyset_pages_ignore_arrivals_and_deletions(
    v2_app: EmulatorApp, v2_http: httpx.Client, v2_dataset: Dataset
) -> None:
    """Jobs added or deleted between two pages shift nothing: page 2 goes on after page 1's last job."""
    order = [job["id"] for job in v2_dataset.v2_jobs]
    first = v2_http.get(EXTRACT, params={"page_size": 10}).json()
    v2_app.add_v2_job(v2_dataset.agent_named("Invoices")["id"])
    v2_app.delete_v2_job(order[3])
    v2_app.delete_v2_job(order[12])
    second = v2_http.get(EXTRACT, params={"page_size": 10, "page_token": first["next_page_token"]}).json()
    assert [job["id"] for job in second["items"]] == [i for i in order[10:21] if i != order[12]]


@pytest.mark.parametrize("status", ["COMPLETED", "FAILED", "RUNNING", "PENDING", "CANCELLED", "THROTTLED"])
def test_status_filter(v2_app: EmulatorApp, v2_http: httpx.Client, v2_dataset: Dataset, status: str) -> None:
    """status= lists exactly the jobs with that status (one more of it added, so none is empty)."""
    expected = [job["id"] for job in v2_dataset.v2_jobs_with_status(status)]
    if status != "CANCELLED":  # the data set has one; a job cannot be added cancelled
        expected.insert(0, v2_app.add_v2_job(v2_dataset.agent_named("Invoices")["id"], status=status)["id"])
    assert expected
    assert listed_ids(v2_http, status=status, page_size=5) == expected


def test_date_bounds_are_inclusive_in_any_rfc3339_form(v2_http: httpx.Client, v2_dataset: Dataset) -> None:
    """created_at bounds equal to jobs' own timestamps include them, whatever the offset notation."""
    jobs = v2_dataset.v2_jobs
    newest, oldest = jobs[5]["created_at"], jobs[-6]["created_at"]
    params = {
        "created_at_on_or_before": newest.replace("Z", "+00:00"),
        "created_at_on_or_after": oldest.replace("Z", "").replace("T", " ").replace(" ", "T"),
    }
    assert listed_ids(v2_http, **params) == [job["id"] for job in jobs[5:-5]]
    day = jobs[0]["created_at"][:10]
    same_day = [j["id"] for j in jobs if j["created_at"] >= day]
    assert listed_ids(v2_http, created_at_on_or_after=day) == same_day


def test_a_date_range_and_a_configuration_page_together_like_one_filter(
    v2_http: httpx.Client, v2_dataset: Dataset
) -> None:
    """A range inside the history with a configuration filter, in pages of 2, lists exactly the jobs both
    keep, newest first (the emulator reads only the range's slice of its order)."""
    jobs = v2_dataset.v2_jobs
    config_id = next(j["configuration_id"] for j in jobs if j["configuration_id"])
    after, before = jobs[-8]["created_at"], jobs[7]["created_at"]
    expected = [
        j["id"] for j in jobs if after <= j["created_at"] <= before and j["configuration_id"] == config_id
    ]
    listed = listed_ids(
        v2_http,
        created_at_on_or_after=after,
        created_at_on_or_before=before,
        configuration_id=config_id,
        page_size=2,
    )
    assert len(expected) > 4 and listed == expected


def test_configuration_job_ids_and_input_filters(v2_http: httpx.Client, v2_dataset: Dataset) -> None:
    """configuration_id, repeated job_ids, file_input and document_input_type each narrow the list."""
    jobs = v2_dataset.v2_jobs
    config_id = jobs[0]["configuration_id"] or jobs[1]["configuration_id"]
    by_config = [j["id"] for j in jobs if j["configuration_id"] == config_id]
    assert listed_ids(v2_http, configuration_id=config_id) == by_config
    assert listed_ids(v2_http, job_ids=[jobs[4]["id"], jobs[2]["id"], "ext-unknown"]) == [
        jobs[2]["id"],
        jobs[4]["id"],
    ]
    assert listed_ids(v2_http, file_input=jobs[7]["file_input"]) == [jobs[7]["id"]]
    assert len(listed_ids(v2_http, document_input_type="file_id", page_size=100)) == len(jobs)
    assert listed_ids(v2_http, document_input_type="parse_job_id") == []


def test_expand_adds_the_expandable_fields(v2_http: httpx.Client, v2_dataset: Dataset) -> None:
    """Without expand the expandable keys are null; with all three (and an unknown one) the job is whole."""
    job = v2_dataset.v2_jobs_with_status("COMPLETED")[0]
    plain = v2_http.get(f"{EXTRACT}/{job['id']}").json()
    assert (plain["configuration"], plain["extract_metadata"], plain["usage"]) == (None, None, None)
    assert plain["extract_result"] == job["extract_result"]
    full = v2_http.get(f"{EXTRACT}/{job['id']}", params={"expand": [*ALL, "bogus"]}).json()
    assert full == job
    listed = v2_http.get(EXTRACT, params={"job_ids": job["id"], "expand": "extract_metadata"}).json()[
        "items"
    ][0]
    assert (listed["extract_metadata"], listed["configuration"]) == (job["extract_metadata"], None)


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": "0"},
        {"page_size": "101"},
        {"page_size": "ten"},
        {"page_token": "not-a-token"},
        {"status": "SUCCESS"},
        {"created_at_on_or_after": "yesterday"},
        {"project_id": "not-a-uuid"},
    ],
)
def test_bad_list_parameters_give_422(v2_http: httpx.Client, params: dict[str, str]) -> None:
    """A malformed parameter is a 422 whose detail names it."""
    response = v2_http.get(EXTRACT, params=params)
    assert response.status_code == 422
    assert [error["loc"] for error in response.json()["detail"]] == [["query", next(iter(params))]]


def test_unknown_and_v1_ids_give_404(v2_http: httpx.Client, v2_dataset: Dataset) -> None:
    """An unknown job id, a v1 run UUID and a v1 job UUID all give 404 Extract job not found."""
    for job_id in (
        "ext-unknown",
        v2_dataset.runs[0]["id"],
        v2_dataset.jobs[0]["id"],
        f"ext-{v2_dataset.runs[0]['id']}",
    ):
        response = v2_http.get(f"{EXTRACT}/{job_id}")
        assert (response.status_code, response.json()) == (404, {"detail": "Extract job not found"})


def test_v2_jobs_are_not_v1_runs(v2_http: httpx.Client, v2_dataset: Dataset) -> None:
    """A v2 job's extraction is not fetchable as a v1 run."""
    run_id = v2_dataset.v2_jobs[0]["id"].removeprefix("ext-")
    assert v2_http.get(f"/api/v1/extraction/runs/{run_id}").status_code == 404


def test_wrong_key_gives_401(v2_app: EmulatorApp) -> None:
    """A wrong key on a v2 route is 401 Invalid authentication token."""
    headers = {"Authorization": "Bearer llx-wrong"}
    with httpx.Client(
        transport=httpx.WSGITransport(app=v2_app), base_url="http://e", headers=headers
    ) as http:
        for path in (EXTRACT, f"{EXTRACT}/ext-x", CONFIGURATIONS):
            response = http.get(path)
            assert (response.status_code, response.json()) == (
                401,
                {"detail": "Invalid authentication token"},
            )


def test_scripted_faults_and_latency_hit_v2_routes(v2_app: EmulatorApp, v2_http: httpx.Client) -> None:
    """Scripted faults fire on v2 paths, then the route answers; the request log shows them."""
    v2_app.script_faults("GET", EXTRACT, [503, 429])
    v2_app.latency_ms = 1.0
    assert [v2_http.get(EXTRACT).status_code for _ in range(3)] == [503, 429, 200]
    assert [r.fault for r in v2_app.request_log] == ["503", "429", None]


def test_random_faults_hit_v2_routes_over_loopback(v2_dataset: Dataset) -> None:
    """fault_rate draws faults on v2 routes too, including dropped connections."""
    app = EmulatorApp(v2_dataset, fault_rate=0.5, faults=[500, "drop"], seed=4)
    outcomes = set()
    with EmulatorServer(app) as server, httpx.Client(base_url=server.url, headers=AUTH, timeout=5) as http:
        for _ in range(30):
            try:
                outcomes.add(http.get(CONFIGURATIONS).status_code)
            except httpx.RemoteProtocolError:
                outcomes.add("drop")
    assert outcomes == {200, 500, "drop"}


def test_configurations_filter_and_page(v2_http: httpx.Client, v2_dataset: Dataset) -> None:
    """product_type (repeated), name and latest_only filter; page_size=2 pages through all of them."""
    everything = [
        c["id"] for page in walk_pages(v2_http, CONFIGURATIONS, {"page_size": 2}) for c in page["items"]
    ]
    assert everything == [c["id"] for c in v2_dataset.configurations]
    extract = v2_http.get(CONFIGURATIONS, params={"product_type": "extract_v2", "latest_only": "true"}).json()
    assert len(extract["items"]) == 4
    both = v2_http.get(CONFIGURATIONS, params={"product_type": ["extract_v2", "parse_v2"]}).json()
    assert len(both["items"]) == 5
    named = v2_http.get(CONFIGURATIONS, params={"name": "Invoices"}).json()["items"]
    assert [c["name"] for c in named] == ["Invoices"]
    assert v2_http.get(CONFIGURATIONS, params={"product_type": "agents"}).status_code == 422


def test_get_configuration_and_404(v2_http: httpx.Client, v2_dataset: Dataset) -> None:
    """A configuration is fetched by id; an unknown id is 404."""
    expected = v2_dataset.configurations[0]
    assert v2_http.get(f"{CONFIGURATIONS}/{expected['id']}").json() == expected
    assert v2_http.get(f"{CONFIGURATIONS}/cfg-unknown").status_code == 404


def test_mutations_show_on_the_wire(v2_app: EmulatorApp, v2_http: httpx.Client, v2_dataset: Dataset) -> None:
    """A completed job reads COMPLETED, a deleted one 404, an added one heads the list."""
    running = v2_dataset.v2_jobs_with_status("RUNNING")[0]["id"]
    v2_app.complete_v2_job(running)
    assert v2_http.get(f"{EXTRACT}/{running}").json()["status"] == "COMPLETED"
    v2_app.delete_v2_job(running)
    assert v2_http.get(f"{EXTRACT}/{running}").status_code == 404
    added = v2_app.add_v2_job(v2_dataset.agent_named("Invoices")["id"])
    assert v2_http.get(EXTRACT, params={"page_size": 1}).json()["items"][0]["id"] == added["id"]
