"""Each class of failure, end to end through the command line: exit code, a short message, no trace or key."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from loopback import API_KEY, first_last

from llamacloud_etl.cli import main
from llamacloud_etl.emulator import Dataset, EmulatorApp, EmulatorServer

WRONG_KEY = "llx-not-the-right-key-42"


@pytest.fixture
def api_env(monkeypatch: pytest.MonkeyPatch, server: EmulatorServer, lake: Path) -> None:
    """The environment a user sets to point the commands at an API (here the emulator)."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", API_KEY)
    monkeypatch.setenv("LLAMA_CLOUD_BASE_URL", server.url)
    monkeypatch.setenv("LLAMACLOUD_ETL_OUTPUT", str(lake))


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _backfill(dataset: Dataset, *extra: str) -> Result:
    first, _ = first_last(dataset)
    return CliRunner().invoke(main, ["backfill", "--start", str(first), "--end", str(first), *extra])


def _assert_short(result: Result, code: int, *words: str) -> None:
    """Exit code ``code``; an ``Error:`` line holding every word; a few lines; no trace; no key."""
    output = result.output
    assert result.exit_code == code, output
    error = [line for line in output.splitlines() if line.startswith("Error: ")]
    assert len(error) == 1, output
    assert all(word in error[0] for word in words), output
    assert len(output.splitlines()) <= 4, output
    assert "Traceback" not in output and "Stack Trace" not in output
    assert API_KEY not in output and WRONG_KEY not in output


def test_an_inverted_range_is_bad_usage(api_env: None) -> None:
    """An --end before --start exits 2 (click's usage error) before anything starts."""
    result = CliRunner().invoke(main, ["backfill", "--start", "2026-09-10", "--end", "2026-09-01"])
    assert result.exit_code == 2
    assert "before --start" in result.output


def test_a_malformed_run_id_is_bad_usage(api_env: None) -> None:
    """A run ID that is not a UUID exits 2 and shows what an ID looks like."""
    _assert_short(CliRunner().invoke(main, ["fetch", "not-a-uuid"]), 2, "malformed run ID", "UUID")


def test_a_missing_key_is_a_configuration_error_found_before_dagster(
    api_env: None, dataset: Dataset, monkeypatch: pytest.MonkeyPatch, lake: Path
) -> None:
    """No key exits 3 naming the variable to set, and no Dagster run starts (nothing is written)."""
    monkeypatch.delenv("LLAMA_CLOUD_API_KEY")
    _assert_short(_backfill(dataset), 3, "LLAMA_CLOUD_API_KEY is not set", "export LLAMA_CLOUD_API_KEY=")
    assert not lake.exists()


def test_a_plain_http_url_to_a_remote_host_is_a_configuration_error(
    api_env: None, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plain-http base URL to a remote host exits 3, naming the host and why it is refused."""
    monkeypatch.setenv("LLAMA_CLOUD_BASE_URL", "http://api.example.com")
    _assert_short(_backfill(dataset), 3, "plain http", "'api.example.com'", "https://")


def test_an_unknown_agent_is_a_configuration_error_from_inside_dagster(
    api_env: None, dataset: Dataset
) -> None:
    """An --agent that matches none of the project's exits 3 with the landing's message."""
    _assert_short(_backfill(dataset, "--agent", "Nope"), 3, "configuration error", "'Nope'")


def test_a_wrong_key_is_an_authentication_error(
    api_env: None, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key the API rejects exits 4 with the 401 and the variable to check, never the key."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", WRONG_KEY)
    _assert_short(_backfill(dataset), 4, "rejected the key", "401", "LLAMA_CLOUD_API_KEY")


def test_an_unreachable_api_is_unavailable(
    api_env: None, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing listening at the base URL exits 5 after the retries, naming the URL and what to check."""
    url = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("LLAMA_CLOUD_BASE_URL", url)
    _assert_short(_backfill(dataset), 5, "unavailable", url, "LLAMA_CLOUD_BASE_URL")


def test_an_api_answering_503_is_unavailable(api_env: None, dataset: Dataset, app: EmulatorApp) -> None:
    """An API that keeps answering 503 exits 5 once the client's retries are spent."""
    app.faults, app.fault_rate = (503,), 1.0
    _assert_short(_backfill(dataset), 5, "unavailable", "503")


def test_an_output_that_is_a_file_is_a_storage_error(api_env: None, dataset: Dataset, tmp_path: Path) -> None:
    """An --output naming a file exits 6 before Dagster starts, saying it is not a folder."""
    path = tmp_path / "a-file"
    path.write_text("not a folder")
    _assert_short(_backfill(dataset, "--output", str(path)), 6, str(path), "is a file, not a folder")


def test_an_unexpected_error_says_to_rerun_with_debug(
    api_env: None, dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A bug (any other exception) exits 1 with its type and message, and points to --debug."""

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("something broke")

    monkeypatch.setattr("llamacloud_etl.defs.runner.run_range", boom)
    _assert_short(_backfill(dataset), 1, "RuntimeError: something broke", "--debug")


@pytest.mark.parametrize("how", ["--debug", "LLAMACLOUD_ETL_DEBUG"])
def test_debug_shows_the_traceback(
    api_env: None, dataset: Dataset, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """--debug, or LLAMACLOUD_ETL_DEBUG=1, adds the traceback to the message."""
    monkeypatch.delenv("LLAMA_CLOUD_API_KEY")
    if how == "--debug":
        result = _backfill(dataset, "--debug")
    else:
        monkeypatch.setenv("LLAMACLOUD_ETL_DEBUG", "1")
        result = _backfill(dataset)
    assert result.exit_code == 3
    assert "Traceback" in result.output
    assert "LLAMA_CLOUD_API_KEY is not set" in result.output


def test_the_installed_command_prints_one_line_for_a_missing_key(tmp_path: Path) -> None:
    """Run as a process, as a new user would: no key gives one line on stderr, exit 3, nothing on stdout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLAMA_", "LLAMACLOUD_"))}
    command = [
        sys.executable,
        "-m",
        "llamacloud_etl.cli",
        "backfill",
        "--start",
        "2026-09-01",
        "--end",
        "2026-09-02",
    ]
    done = subprocess.run(
        command, capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False
    )
    assert done.returncode == 3
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "Error: configuration error: no LlamaCloud API key: LLAMA_CLOUD_API_KEY is not set: export "
        "LLAMA_CLOUD_API_KEY=llx-... (a key from LlamaCloud's API keys page; LLAMA_PARSE_API_KEY also "
        "works) and run again (from Python: pass api_key=...)."
    ]
