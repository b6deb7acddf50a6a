"""What `backfill` shows while it lands: a live display on a terminal, a few plain lines otherwise."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from loopback import API_KEY, first_last

from llamacloud_etl.cli import main
from llamacloud_etl.emulator import Dataset, EmulatorServer

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _env(server: EmulatorServer, lake: Path, processes: int = 1) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LLAMA_", "LLAMACLOUD_")) and k != "CI"}
    env |= {
        "LLAMA_CLOUD_API_KEY": API_KEY,
        "LLAMA_CLOUD_BASE_URL": server.url,
        "LLAMACLOUD_ETL_OUTPUT": str(lake),
        "LLAMACLOUD_ETL_PROCESSES": str(processes),
        "TERM": "xterm-256color",
        "COLUMNS": "140",
    }
    return env


def _backfill_command(dataset: Dataset, *extra: str) -> list[str]:
    first, last = first_last(dataset)
    return [
        sys.executable,
        "-m",
        "llamacloud_etl.cli",
        "backfill",
        "--start",
        str(first),
        "--end",
        str(last),
        *extra,
    ]


def _run_in_terminal(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run ``command`` with a pseudo-terminal as its stdin, stdout and stderr; its exit code and output."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(command, stdin=follower, stdout=follower, stderr=follower, env=env, cwd=cwd)
    os.close(follower)
    chunks: list[bytes] = []
    try:
        while True:
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                try:
                    data = os.read(leader, 65536)
                except OSError:  # the terminal closed: the process and its workers are gone
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        code = proc.wait(timeout=120)
    finally:
        os.close(leader)
    return code, ANSI.sub("", b"".join(chunks).decode(errors="replace"))


def test_a_terminal_shows_the_live_display_and_a_summary_table(
    server: EmulatorServer, dataset: Dataset, lake: Path, tmp_path: Path
) -> None:
    """On a terminal, `backfill` over two processes draws days x/y, runs and runs/s for the range and
    for each agent (the worker's included), then one summary table with every agent and a total."""
    code, output = _run_in_terminal(_backfill_command(dataset), _env(server, lake, processes=2), tmp_path)
    assert code == 0, output
    first, last = first_last(dataset)
    days = dataset.days
    assert re.search(rf"{first}\.\.{last} .* days {days}/{days} +\d+ runs +[\d.]+ runs/s", output), output
    assert re.search(r"days \d+/\d+ .* runs/s", output)
    table = output[output.index(f"Landed {first}..{last}") :]
    assert re.search(rf"total\s*│\s*{days}/{days}\s*│\s*\d+", table), table
    for agent in dataset.agents:
        assert re.search(rf"{re.escape(agent['name'])}\s*│\s*{days}/{days}", table), table
    assert "run_date=" not in output
    assert "Traceback" not in output


def test_a_pipe_gets_a_few_plain_lines(
    server: EmulatorServer, dataset: Dataset, lake: Path, tmp_path: Path
) -> None:
    """Piped, `backfill` prints a start line, a line about every 10 %, an end line and the outcome; no
    escape codes, no line per day."""
    done = subprocess.run(
        _backfill_command(dataset),
        env=_env(server, lake),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    first, last = first_last(dataset)
    lines = done.stderr.splitlines()
    assert lines[0] == f"landing {first}..{last}: {dataset.days} days"
    assert all(
        re.fullmatch(r"days \d+/\d+, \d+ runs, [\d.]+ runs/s, [\d:?]+ left", line) for line in lines[1:-2]
    )
    assert 2 <= len(lines) <= 14, lines
    assert re.fullmatch(
        rf"done: days {dataset.days}/{dataset.days}, \d+ runs in [\d:]+ \([\d.]+ runs/s\)", lines[-2]
    )
    assert lines[-1].startswith("check warning:")
    assert re.fullmatch(
        rf"{first}\.\.{last} landed: \d+ succeeded, .* \(Dagster run [0-9a-f-]+\)\n", done.stdout
    )
    assert "\x1b[" not in done.stderr + done.stdout


def test_verbose_shows_the_landing_and_client_logs(
    server: EmulatorServer, dataset: Dataset, lake: Path, tmp_path: Path
) -> None:
    """-v adds the INFO logs of the landing and the client, wherever it is given."""
    first, _ = first_last(dataset)
    command = [
        sys.executable,
        "-m",
        "llamacloud_etl.cli",
        "backfill",
        "--start",
        str(first),
        "--end",
        str(first),
        "-v",
    ]
    done = subprocess.run(
        command,
        env=_env(server, lake),
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert re.search(r" INFO llamacloud_etl\.", done.stderr), done.stderr
    assert API_KEY not in done.stderr


def test_quiet_prints_only_the_outcome(
    monkeypatch: pytest.MonkeyPatch, server: EmulatorServer, dataset: Dataset, lake: Path
) -> None:
    """-q leaves only the one-line outcome."""
    monkeypatch.setenv("LLAMA_CLOUD_API_KEY", API_KEY)
    monkeypatch.setenv("LLAMA_CLOUD_BASE_URL", server.url)
    first, _ = first_last(dataset)
    result = CliRunner().invoke(
        main, ["-q", "backfill", "--start", str(first), "--end", str(first), "--output", str(lake)]
    )
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 1
    assert result.output.startswith(f"{first}..{first} landed: ")
