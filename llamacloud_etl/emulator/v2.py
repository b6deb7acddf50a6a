"""The v2 API's handlers (``/api/v2/extract``, ``/api/v1/beta/configurations``) and their route table.

Wire as SDK 2.19.0 sends and parses it: repeated query parameters for lists (``expand``, ``job_ids``,
``product_type``), cursor pages ``{items, next_page_token, total_size}`` newest first (``created_at``
desc, then ``id`` desc). ``page_size`` defaults to 20 and must be 1 to 100. ``page_token`` is an opaque
keyset cursor on ``(created_at, id)`` of the last item served, so jobs added or deleted between two
pages shift nothing; a malformed one is a 422. Unknown ``expand`` values are ignored. A v1 run's UUID
is not a v2 job id: 404.

Examples:
    >>> from llamacloud_etl.emulator.dataset import build_dataset
    >>> from llamacloud_etl.emulator.routing import Params
    >>> from llamacloud_etl.emulator.state import EmulatorState
    >>> dataset = build_dataset(30, v2_from=build_dataset(30).start)
    >>> response = list_jobs(EmulatorState(dataset), Params.parse({}, "page_size=25"))
    >>> response.status, response.body.endswith(b',"total_size":null}')
    (200, True)
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, NamedTuple, TypeVar

from pydantic import Field, TypeAdapter

from llamacloud_etl.emulator.routing import Params, Response, check_scope, detail, json_response, route
from llamacloud_etl.emulator.state import EmulatorState
from llamacloud_etl.emulator.v2state import V2Entry
from llamacloud_etl.emulator.v2wire import EXPANDABLE
from llamacloud_etl.emulator.wire import JSON, dumps

EXTRACT = "/api/v2/extract"
CONFIGURATIONS = "/api/v1/beta/configurations"
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

_NOT_FOUND_JOB = "Extract job not found"
_NOT_FOUND_CONFIGURATION = "Configuration not found"
_PAGE_SIZE = TypeAdapter(Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)])
_DATETIME = TypeAdapter(datetime)
_STATUS: TypeAdapter[Any] = TypeAdapter(
    Literal["PENDING", "THROTTLED", "RUNNING", "COMPLETED", "FAILED", "CANCELLED"]
)
_PRODUCT_TYPE: TypeAdapter[Any] = TypeAdapter(
    Literal["classify_v2", "extract_v2", "parse_v2", "split_v1", "spreadsheet_v1", "unknown"]
)
_INPUT_PREFIX = {"file_id": "dfl-", "parse_job_id": "pjb-"}

T = TypeVar("T")


def encode_cursor(key: tuple[str, str]) -> str:
    """An opaque page token for the item with this sort key (URL-safe base64 of JSON)."""
    return base64.urlsafe_b64encode(dumps(list(key))).decode().rstrip("=")


def decode_cursor(token: str) -> tuple[str, str] | None:
    """The sort key in a page token, or None when the token is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return (value[0], value[1])
    return None


def _page_params(params: Params) -> tuple[int, tuple[str, str] | None]:
    """``page_size`` (default 20) and the decoded ``page_token`` (errors recorded on ``params``)."""
    size = params.query_value("page_size", _PAGE_SIZE)
    cursor = None
    token = params.query.get("page_token")
    if token:
        cursor = decode_cursor(token)
        if cursor is None:
            params.invalid("page_token", "invalid page token")
    return (DEFAULT_PAGE_SIZE if size is None else int(size)), cursor


def _page(
    items: Sequence[T], key: Callable[[T], tuple[str, str]], size: int, cursor: Any
) -> tuple[list[T], str | None]:
    """One page of items (newest first) after the cursor, and the token of the next page (None: last)."""
    if cursor is not None:
        items = [item for item in items if key(item) < cursor]
    page = list(items[:size])
    more = len(items) > size
    return page, (encode_cursor(key(page[-1])) if more and page else None)


def _page_body(bodies: Sequence[bytes], next_token: str | None) -> bytes:
    return b'{"items":[%s],"next_page_token":%s,"total_size":null}' % (b",".join(bodies), dumps(next_token))


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=UTC)


class _JobFilter(NamedTuple):
    keep: Callable[[V2Entry], bool]
    after: datetime | None
    before: datetime | None


def _job_filter(params: Params) -> _JobFilter:
    """The list filters as one predicate over stored jobs, and the date range (parse errors recorded
    on ``params``)."""
    after = _aware(params.query_value("created_at_on_or_after", _DATETIME))
    before = _aware(params.query_value("created_at_on_or_before", _DATETIME))
    status = params.query_value("status", _STATUS)
    config_id = params.query.get("configuration_id")
    job_ids = set(params.lists.get("job_ids", [])) or None
    file_input = params.query.get("file_input", params.query.get("document_input_value"))
    input_type = params.query.get("document_input_type")

    def keep(entry: V2Entry) -> bool:
        job = entry.job
        return (
            (after is None or entry.created >= after)
            and (before is None or entry.created <= before)
            and (status is None or job["status"] == status)
            and (config_id is None or job["configuration_id"] == config_id)
            and (job_ids is None or job["id"] in job_ids)
            and (file_input is None or job["file_input"] == file_input)
            and (input_type is None or job["file_input"].startswith(_INPUT_PREFIX.get(input_type, "\0")))
        )

    return _JobFilter(keep, after, before)


def _jobs_page(
    order: Sequence[V2Entry], select: _JobFilter, size: int, cursor: Any, *, chronological: bool
) -> tuple[list[V2Entry], str | None]:
    """One page of the jobs ``select`` keeps after ``cursor``, and the next page's token (None: last).

    ``order`` is newest first by sort key, so the cursor is found by bisection; when it is newest first
    by ``created`` too (``chronological``), so are the date range's ends. Only the jobs between are
    tested, and only until the page and one more are found: a page costs what it holds, not the
    history (as :func:`_page` over every kept job, whose results these are).
    """
    start, stop = 0, len(order)
    if cursor is not None:
        start = bisect_left(order, True, key=lambda e: e.sort_key < cursor)
    if chronological and select.before is not None:
        before = select.before
        start = max(start, bisect_left(order, True, key=lambda e: e.created <= before))
    if chronological and select.after is not None:
        after = select.after
        stop = bisect_left(order, True, key=lambda e: e.created < after)
    found: list[V2Entry] = []
    for index in range(start, stop):
        if select.keep(order[index]):
            found.append(order[index])
            if len(found) > size:
                break
    page = found[:size]
    return page, (encode_cursor(page[-1].sort_key) if len(found) > size and page else None)


def _expand(params: Params) -> frozenset[str]:
    return frozenset(params.lists.get("expand", [])) & frozenset(EXPANDABLE)


def list_jobs(state: EmulatorState, params: Params) -> Response:
    """``GET /api/v2/extract``: one cursor page of jobs, newest first, filtered."""
    select = _job_filter(params)
    size, cursor = _page_params(params)
    expand = _expand(params)
    denied = check_scope(params)
    if denied is not None:
        return denied
    with state.lock:
        order = state.v2.entries()
        page, next_token = _jobs_page(order, select, size, cursor, chronological=state.v2.chronological)
        bodies = [entry.body(expand) for entry in page]
    return json_response(200, _page_body(bodies, next_token))


def get_job(state: EmulatorState, params: Params) -> Response:
    """``GET /api/v2/extract/{job_id}``; 404 for unknown ids, v1 UUIDs included."""
    expand = _expand(params)
    denied = check_scope(params)
    if denied is not None:
        return denied
    entry = state.v2.entry(params.path["job_id"])
    return detail(404, _NOT_FOUND_JOB) if entry is None else json_response(200, entry.body(expand))


def _latest(configurations: Sequence[JSON]) -> list[JSON]:
    """The newest version of each (name, product type), keeping the list order."""
    seen: set[tuple[str, str]] = set()
    latest = []
    for configuration in configurations:
        key = (configuration["name"], configuration["product_type"])
        if key not in seen:
            seen.add(key)
            latest.append(configuration)
    return latest


def list_configurations(state: EmulatorState, params: Params) -> Response:
    """``GET /api/v1/beta/configurations``: one cursor page of saved configurations, newest first."""
    product_types = set(params.query_values("product_type", _PRODUCT_TYPE))
    name = params.query.get("name")
    latest_only = params.query_bool("latest_only", False)
    size, cursor = _page_params(params)
    denied = check_scope(params)
    if denied is not None:
        return denied
    selected = [
        c
        for c in state.v2.configurations
        if (not product_types or c["product_type"] in product_types) and (name is None or c["name"] == name)
    ]
    if latest_only:
        selected = _latest(selected)
    page, next_token = _page(selected, lambda c: (c["created_at"], c["id"]), size, cursor)
    return json_response(200, _page_body([state.v2.configuration_bodies[c["id"]] for c in page], next_token))


def get_configuration(state: EmulatorState, params: Params) -> Response:
    """``GET /api/v1/beta/configurations/{config_id}``."""
    denied = check_scope(params)
    if denied is not None:
        return denied
    body = state.v2.configuration_bodies.get(params.path["config_id"])
    return detail(404, _NOT_FOUND_CONFIGURATION) if body is None else json_response(200, body)


ROUTES = (
    route(EXTRACT, GET=list_jobs),
    route(f"{EXTRACT}/{{job_id}}", GET=get_job),
    route(CONFIGURATIONS, GET=list_configurations),
    route(f"{CONFIGURATIONS}/{{config_id}}", GET=get_configuration),
)
"""The v2 routes, in matching order."""
