"""Routing and parameter checks: how a request reaches a handler, and the response a handler returns.

A :class:`Router` matches the path against each API version's :class:`Route` table and answers what
FastAPI/Starlette answer before any handler runs: an unknown path is 404 ``{"detail":"Not Found"}``, a
known path with another method 405, a trailing slash a 307 to the path without it. :class:`Params`
then parses path and query parameters with pydantic itself, so 422 bodies are exactly pydantic-v2
shaped (all path errors, then all query errors, in the order the handler asks for them).

Examples:
    >>> def hello(state, params):
    ...     return json_response(200, b'"hi"')
    >>> router = Router([route("/api/v1/things/{thing_id}", GET=hello)])
    >>> found = router.resolve("HEAD", "/api/v1/things/7")
    >>> found.handler is hello, found.path_params
    (True, {'thing_id': '7'})
    >>> router.resolve("GET", "/api/v1/things/7/").headers
    [('location', '/api/v1/things/7')]
    >>> params = Params.parse({"thing_id": "7"}, "limit=-1")
    >>> params.path_uuid("thing_id"), params.query_int("limit", 25)
    (None, 25)
    >>> [error["loc"] for error in params.errors]
    [['path', 'thing_id'], ['query', 'limit']]
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated, Any
from urllib.parse import parse_qsl, quote

from pydantic import Field, TypeAdapter, ValidationError

from llamacloud_etl.emulator.agents import ORGANIZATION_ID, PROJECT_ID
from llamacloud_etl.emulator.wire import JSON, dumps
from llamacloud_etl.models import ExtractState

if TYPE_CHECKING:
    from llamacloud_etl.emulator.state import EmulatorState


@dataclass
class Response:
    """What a handler answers: status, body bytes and headers (``content-length`` is added later)."""

    status: int
    body: bytes
    headers: list[tuple[str, str]]


def json_response(status: int, body: bytes, headers: Sequence[tuple[str, str]] = ()) -> Response:
    """A JSON response with an already serialized body."""
    return Response(status, body, [("content-type", "application/json"), *headers])


def detail(status: int, detail: Any, headers: Sequence[tuple[str, str]] = ()) -> Response:
    """An error response with FastAPI's ``{"detail": ...}`` body."""
    return json_response(status, dumps({"detail": detail}), headers)


_NO_ACCESS = "User does not have access to this resource"

_UUID = TypeAdapter(uuid.UUID)
_NON_NEGATIVE_INT = TypeAdapter(Annotated[int, Field(ge=0)])
_BOOL = TypeAdapter(bool)
_STATE = TypeAdapter(ExtractState)


class Params:
    """Parses path and query parameters, collecting pydantic-shaped errors like FastAPI does.

    Each accessor returns the parsed value, or the default (None) after recording the error; a handler
    asks for all its parameters, then answers 422 with :attr:`errors` if there are any.
    """

    def __init__(
        self, path: dict[str, str], query: dict[str, str], lists: dict[str, list[str]] | None = None
    ) -> None:
        self.path = path
        self.query = query
        self.lists = lists if lists is not None else {name: [value] for name, value in query.items()}
        self.errors: list[JSON] = []

    @classmethod
    def parse(cls, path: dict[str, str], query_string: str) -> Params:
        """Params from the route's path parameters and the raw query string (blank values kept).

        A repeated parameter keeps its last value in :attr:`query` and all of them in :attr:`lists`.
        """
        pairs = parse_qsl(query_string, keep_blank_values=True)
        lists: dict[str, list[str]] = {}
        for name, value in pairs:
            lists.setdefault(name, []).append(value)
        return cls(path, dict(pairs), lists)

    def _validate(self, adapter: TypeAdapter[Any], where: str, name: str, raw: str) -> Any:
        try:
            return adapter.validate_python(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                entry: JSON = {"type": err["type"], "loc": [where, name, *err["loc"]], "msg": err["msg"]}
                entry["input"] = err["input"]
                if "ctx" in err:
                    entry["ctx"] = {
                        k: v if isinstance(v, int | float | str) else str(v) for k, v in err["ctx"].items()
                    }
                self.errors.append(entry)
            return None

    def query_value(self, name: str, adapter: TypeAdapter[Any]) -> Any:
        """The query parameter validated by ``adapter``; None when absent or invalid (error recorded)."""
        if name not in self.query:
            return None
        return self._validate(adapter, "query", name, self.query[name])

    def query_values(self, name: str, adapter: TypeAdapter[Any]) -> list[Any]:
        """Every value of a repeated query parameter, each validated (an error recorded per bad one)."""
        values = []
        for index, raw in enumerate(self.lists.get(name, [])):
            before = len(self.errors)
            value = self._validate(adapter, "query", name, raw)
            for error in self.errors[before:]:
                error["loc"].insert(2, index)
            if len(self.errors) == before:
                values.append(value)
        return values

    def invalid(self, name: str, message: str) -> None:
        """Record a ``value_error`` on the query parameter ``name``, pydantic-shaped."""
        self.errors.append(
            {
                "type": "value_error",
                "loc": ["query", name],
                "msg": f"Value error, {message}",
                "input": self.query.get(name),
            }
        )

    def path_uuid(self, name: str) -> str | None:
        """The path parameter as a canonical UUID string."""
        value = self._validate(_UUID, "path", name, self.path[name])
        return None if value is None else str(value)

    def query_uuid(self, name: str, *, required: bool = False) -> str | None:
        """The query parameter as a canonical UUID string; None when absent (an error if required)."""
        if name not in self.query:
            if required:
                self.errors.append(
                    {"type": "missing", "loc": ["query", name], "msg": "Field required", "input": None}
                )
            return None
        value = self._validate(_UUID, "query", name, self.query[name])
        return None if value is None else str(value)

    def query_int(self, name: str, default: int) -> int:
        """The query parameter as a non-negative integer."""
        if name not in self.query:
            return default
        value = self._validate(_NON_NEGATIVE_INT, "query", name, self.query[name])
        return default if value is None else int(value)

    def query_bool(self, name: str, default: bool) -> bool:
        """The query parameter as a boolean, parsed like FastAPI (``true``, ``1``, ``yes``...)."""
        if name not in self.query:
            return default
        value = self._validate(_BOOL, "query", name, self.query[name])
        return default if value is None else bool(value)

    def query_state(self, name: str) -> str | None:
        """The query parameter as an :class:`ExtractState` value."""
        if name not in self.query:
            return None
        value = self._validate(_STATE, "query", name, self.query[name])
        return None if value is None else str(value.value)


def check_scope(params: Params) -> Response | None:
    """Check the optional ``project_id``/``organization_id`` query parameters.

    Returns:
        422 for malformed ones (with any errors recorded so far), 403 for ids the key cannot see,
        None when the request may go on.
    """
    project = params.query_uuid("project_id")
    organization = params.query_uuid("organization_id")
    if params.errors:
        return detail(422, params.errors)
    if (project is not None and project != PROJECT_ID) or (
        organization is not None and organization != ORGANIZATION_ID
    ):
        return detail(403, _NO_ACCESS)
    return None


def path_id(params: Params, name: str, *, scoped: bool = False) -> str | Response:
    """The UUID path parameter ``name``, or the response that refuses the request.

    With ``scoped``, the ``project_id``/``organization_id`` query parameters are checked too
    (see :func:`check_scope`); otherwise a malformed ID alone gives 422.
    """
    value = params.path_uuid(name)
    refused = check_scope(params) if scoped else detail(422, params.errors) if params.errors else None
    if refused is not None:
        return refused
    assert value is not None
    return value


Handler = Callable[["EmulatorState", Params], Response]
"""An endpoint: reads the state and the parsed parameters, returns the response."""


@dataclass(frozen=True)
class Route:
    """A path pattern and the handler of each method it answers."""

    pattern: re.Pattern[str]
    handlers: Mapping[str, Handler]


def route(template: str, **handlers: Handler) -> Route:
    """A route from a path template whose ``{name}`` segments are path parameters.

    Args:
        template: e.g. ``"/api/v1/extraction/runs/{run_id}"``; a parameter matches one path segment.
        handlers: the handler of each method, e.g. ``GET=get_run, DELETE=delete_run``.
    """
    parts = re.split(r"\{(\w+)\}", template)
    pattern = "".join(re.escape(part) if i % 2 == 0 else f"(?P<{part}>[^/]+)" for i, part in enumerate(parts))
    return Route(re.compile(f"^{pattern}$"), dict(handlers))


@dataclass(frozen=True)
class Match:
    """A resolved request: the handler to call and the path parameters it gets."""

    handler: Handler
    path_params: dict[str, str]


class Router:
    """Resolves a method and path against routes, tried in order.

    Args:
        routes: every route the app serves, of every API version.
    """

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = tuple(routes)

    def _match(self, path: str) -> tuple[Mapping[str, Handler], dict[str, str]] | None:
        for entry in self.routes:
            found = entry.pattern.match(path)
            if found is not None:
                return entry.handlers, found.groupdict()
        return None

    def resolve(self, method: str, path: str, query: str = "") -> Match | Response:
        """The handler for this request, or the 307, 404 or 405 response that answers it instead.

        HEAD is answered by a route's GET handler (the app drops the body).
        """
        match = self._match(path)
        if match is None:
            if path != "/" and path.endswith("/") and self._match(path.rstrip("/")) is not None:
                location = quote(path.rstrip("/")) + (f"?{query}" if query else "")
                return Response(307, b"", [("location", location)])
            return detail(404, "Not Found")
        handlers, path_params = match
        allowed = set(handlers) | ({"HEAD"} if "GET" in handlers else set())
        if method not in allowed:
            return detail(405, "Method Not Allowed", [("allow", ", ".join(sorted(allowed)))])
        return Match(handlers["GET" if method == "HEAD" else method], path_params)
