"""The benchmark's memory probe: the resident set of a process tree (Linux /proc)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from benchmarks import _child

pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/task"), reason="needs Linux /proc")

HOLD_MIB = 200
# Touches every page of HOLD_MIB, so they are resident, then waits for its stdin to close.
_HOLDER = (
    f"import sys; b = bytearray({HOLD_MIB} * 2**20); b[::4096] = b'x' * len(b[::4096]); "
    "print('ok', flush=True); sys.stdin.read()"
)


@pytest.fixture
def child_holding_memory() -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _HOLDER], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ok"
    yield proc
    proc.communicate("")


def test_tree_rss_counts_a_child_process(child_holding_memory: subprocess.Popen[str]) -> None:
    own = _child._tree_rss_kib(child_holding_memory.pid)
    mine = _child._status_kib("VmRSS")
    tree = _child._tree_rss_kib(os.getpid())
    assert own is not None and mine is not None and tree is not None
    assert own >= HOLD_MIB * 1024
    assert tree >= own + 0.9 * mine


def test_tree_rss_from_a_full_scan_finds_the_same_children(
    child_holding_memory: subprocess.Popen[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    walked = _child._tree_rss_kib(os.getpid())
    monkeypatch.setattr(_child, "_children", lambda pid: None)
    scanned = _child._tree_rss_kib(os.getpid())
    assert walked is not None and scanned is not None
    assert abs(walked - scanned) < 0.1 * walked
