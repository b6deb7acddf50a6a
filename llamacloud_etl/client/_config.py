"""Resolve the client's settings: API key, base URL (or region name), and check they are safe to use."""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping

import httpx

from llamacloud_etl.errors import ConfigurationError
from llamacloud_etl.settings import API_KEY_ENV, API_KEY_FALLBACK_ENV, BASE_URL_ENV

NORTH_AMERICA_URL = "https://api.cloud.llamaindex.ai"
EUROPE_URL = "https://api.cloud.eu.llamaindex.ai"
DEFAULT_BASE_URL = NORTH_AMERICA_URL

API_KEY_ENV_VARS = (API_KEY_ENV, API_KEY_FALLBACK_ENV)

REGIONS: Mapping[str, str] = {
    "na": NORTH_AMERICA_URL,
    "us": NORTH_AMERICA_URL,
    "north-america": NORTH_AMERICA_URL,
    "eu": EUROPE_URL,
    "europe": EUROPE_URL,
}

# Visible ASCII only. Anything else (spaces, newlines, non-ASCII) would make httpx/h11 reject the
# header with an exception whose message quotes the header value, i.e. the key.
_KEY_CHARS = re.compile(r"[\x21-\x7e]+")


def resolve_api_key(api_key: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Return the API key: the argument, else ``LLAMA_CLOUD_API_KEY``, else ``LLAMA_PARSE_API_KEY``.

    Surrounding whitespace is stripped (keys pasted from files often end in a newline); an empty
    value counts as missing.

    Raises:
        ConfigurationError: no key anywhere, or a key with characters that cannot go in a header.
            The message never quotes the key.
    """
    env = os.environ if environ is None else environ
    candidates = [("api_key argument", api_key)] + [
        (f"env {name}", env.get(name)) for name in API_KEY_ENV_VARS
    ]
    for source, value in candidates:
        if value is None or not value.strip():
            continue
        key = value.strip()
        if not _KEY_CHARS.fullmatch(key):
            raise ConfigurationError(
                f"the API key from {source} contains whitespace, control or non-ASCII characters; "
                "check how it was pasted or exported"
            )
        return key
    raise ConfigurationError(
        f"no LlamaCloud API key: {API_KEY_ENV} is not set: export {API_KEY_ENV}=llx-... (a key from "
        f"LlamaCloud's API keys page; {API_KEY_FALLBACK_ENV} also works) and run again "
        "(from Python: pass api_key=...)"
    )


def resolve_base_url(base_url: str | None, environ: Mapping[str, str] | None = None) -> str:
    """Return the API base URL without a trailing slash.

    ``base_url`` (else env ``LLAMA_CLOUD_BASE_URL``, else North America) is either a URL or one of
    the region names ``na``/``us``/``north-america`` and ``eu``/``europe`` (case-insensitive).

    Raises:
        ConfigurationError: not an http(s) URL, credentials or a query in the URL, or plain
            ``http://`` to a host that is not loopback (the key would cross the network in clear).

    Examples:
        >>> resolve_base_url("eu", environ={})
        'https://api.cloud.eu.llamaindex.ai'
        >>> resolve_base_url("http://127.0.0.1:8080/", environ={})
        'http://127.0.0.1:8080'
    """
    env = os.environ if environ is None else environ
    raw = base_url if base_url is not None and base_url.strip() else env.get(BASE_URL_ENV)
    if raw is None or not raw.strip():
        return DEFAULT_BASE_URL
    raw = raw.strip()
    region = REGIONS.get(raw.lower())
    if region is not None:
        return region
    return _check_url(raw)


def _check_url(raw: str) -> str:
    try:
        url = httpx.URL(raw)
    except httpx.InvalidURL as exc:
        raise ConfigurationError(f"base URL is not a valid URL: {exc}") from None
    if url.scheme not in ("http", "https") or not url.host:
        names = ", ".join(sorted(REGIONS))
        raise ConfigurationError(
            f"base URL {raw!r} must be an http(s):// URL with a host, or a region name ({names})"
        )
    if url.userinfo:
        # Not echoed: the user part may hold a credential.
        raise ConfigurationError(
            "base URL must not contain credentials (user:password@); the key goes in api_key"
        )
    if url.query or url.fragment:
        raise ConfigurationError(f"base URL must not have a query or fragment: {raw!r}")
    if url.scheme == "http" and not is_loopback_host(url.host):
        raise ConfigurationError(
            f"refusing to send the API key over plain http to {url.host!r}: use https://, "
            "or plain http only to a loopback host (localhost, 127.0.0.0/8, ::1)"
        )
    return str(url).rstrip("/")


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IP addresses (``127.0.0.0/8``, ``::1``).

    Examples:
        >>> is_loopback_host("127.3.2.1"), is_loopback_host("::1"), is_loopback_host("10.0.0.1")
        (True, True, False)
    """
    host = host.strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
