"""Test helpers: independent checks of the emulator's payloads, written from the API's documented shapes,
not its code; and an in-process transport that reports the emulator's dropped connections as httpx does."""

from __future__ import annotations

from typing import Any

import httpx

from llamacloud_etl.emulator import Dataset, DropConnection

LEAF_KEYS = {"confidence", "extraction_confidence", "citation"}
ROOT_EXTRA_KEYS = {"reasoning", "error"}


def resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    """Follow a local ``$ref``."""
    while "$ref" in node:
        target: Any = root
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def conforms(value: Any, node: dict[str, Any], root: dict[str, Any], path: str = "$") -> list[str]:
    """Return the ways ``value`` breaks a JSON-schema subset (type, enum, required, items, anyOf, $ref)."""
    node = resolve(node, root)
    if "anyOf" in node:
        if any(not conforms(value, branch, root, path) for branch in node["anyOf"]):
            return []
        return [f"{path}: {value!r} matches no anyOf branch"]
    problems: list[str] = []
    types = node.get("type")
    types = [types] if isinstance(types, str) else list(types or [])
    checks = {
        "null": value is None,
        "string": isinstance(value, str),
        "boolean": isinstance(value, bool),
        "integer": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, float),  # the emulator promises floats for number fields
        "object": isinstance(value, dict),
        "array": isinstance(value, list),
    }
    if types and not any(checks[t] for t in types):
        return [f"{path}: {value!r} is not {types}"]
    if "enum" in node and value not in node["enum"]:
        problems.append(f"{path}: {value!r} not in enum")
    if isinstance(value, dict):
        for key in node.get("required", []):
            if key not in value:
                problems.append(f"{path}: missing required {key}")
        properties = node.get("properties", {})
        for key, sub in value.items():
            if key not in properties:
                problems.append(f"{path}: unexpected key {key}")
            else:
                problems += conforms(sub, properties[key], root, f"{path}.{key}")
    if isinstance(value, list) and "items" in node:
        for i, item in enumerate(value):
            problems += conforms(item, node["items"], root, f"{path}[{i}]")
    return problems


def is_leaf(meta: Any) -> bool:
    """A field-metadata leaf entry, recognised as the API's documentation tells consumers to."""
    return isinstance(meta, dict) and bool(LEAF_KEYS & meta.keys())


def mirror_problems(data: Any, meta: Any, path: str = "$") -> list[str]:
    """Return where ``field_metadata`` does not mirror ``data`` (dict keys, list lengths, leaves)."""
    if isinstance(data, dict):
        if not isinstance(meta, dict):
            return [f"{path}: metadata is {type(meta).__name__}, data is an object"]
        problems = []
        if set(meta) - ROOT_EXTRA_KEYS != set(data):
            problems.append(f"{path}: keys {sorted(meta)} do not mirror {sorted(data)}")
        for key, value in data.items():
            if key in meta:
                problems += mirror_problems(value, meta[key], f"{path}.{key}")
        return problems
    if isinstance(data, list) and data and all(isinstance(item, dict) for item in data):
        if not isinstance(meta, list) or len(meta) != len(data):
            return [f"{path}: metadata is not a list of {len(data)} entries"]
        return [
            p
            for i, (d, m) in enumerate(zip(data, meta, strict=True))
            for p in mirror_problems(d, m, f"{path}[{i}]")
        ]
    if data == [] and meta == []:
        return []  # an empty array of objects has an empty metadata list
    return [] if is_leaf(meta) else [f"{path}: {meta!r} is not a leaf entry"]


def walk(value: Any) -> list[Any]:
    """Every value nested anywhere in ``value`` (dicts, lists and scalars), depth first."""
    found = [value]
    if isinstance(value, dict):
        for item in value.values():
            found += walk(item)
    elif isinstance(value, list):
        for item in value:
            found += walk(item)
    return found


def citations(meta: Any) -> list[dict[str, Any]]:
    """Every citation object anywhere in a field-metadata tree."""
    return [c for node in walk(meta) if isinstance(node, dict) for c in node.get("citation", [])]


def succeeded(dataset: Dataset) -> list[dict[str, Any]]:
    """The data set's SUCCESS runs, newest first."""
    return dataset.runs_with_status("SUCCESS")


def field_metadata_of(dataset: Dataset) -> list[Any]:
    """The field_metadata of every SUCCESS run."""
    return [run["extraction_metadata"]["field_metadata"] for run in succeeded(dataset)]


class DroppingWSGITransport(httpx.WSGITransport):
    """``httpx.WSGITransport`` on which the emulator's 'drop' fault looks like a real dropped connection.

    The app raises :class:`DropConnection` to drop a connection; over loopback the server shuts the
    socket and httpx raises :class:`httpx.RemoteProtocolError`. In-process there is no socket, so this
    transport raises that same error itself, chained to the DropConnection, and a client retries it as
    it would over the network.
    """

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except DropConnection as exc:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a response.", request=request
            ) from exc
