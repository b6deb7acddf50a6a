"""The child side of a measurement: ``python -m benchmarks._child SPEC.json``.

The parent writes a spec (``target`` = ``module:function``, ``params``, ``result_path``) and starts this
module in a fresh interpreter, so each contender's imports, caches and heap start from nothing and its
peak RSS is its own. The contender gets a :class:`Probe` and wraps exactly the work it is measured on
in ``with probe.timed():``; set-up (reading inputs, parsing them into models, importing libraries) stays
outside.

Memory is read from the kernel, in KiB:

* ``setup_rss``: resident set just before the timed block (what the inputs and imports cost);
* ``work_peak``: the high-water mark of the timed block alone. Writing ``5`` to ``/proc/self/clear_refs``
  resets the kernel's high-water mark (``VmHWM``) to the current RSS, so the mark read at the end covers
  only the work. Where that file is not writable, this is None;
* ``peak_rss``: the whole child's peak: the larger of ``VmHWM`` before the reset and at the end, and
  of the **process tree's** resident set during the timed block. A contender that starts worker
  processes (ours does, one per core) is charged for them: a sampler thread sums the resident set of
  this process and all its descendants every 20 ms and keeps the largest sum;
* ``work_peak``, likewise, is the larger of this process's mark and the tree's largest sum.

Why ``VmHWM`` and not ``getrusage(RUSAGE_SELF).ru_maxrss``: for a process started by fork (or vfork)
and exec, Linux seeds ``ru_maxrss`` at exec with the high-water mark of the address space being
replaced, i.e. the *parent's*. The parent here holds the emulator's data set (over 1 GiB for 10,000
runs), so ``ru_maxrss`` would report the parent's size for every child. ``VmHWM`` belongs to the child's
own address space, created at exec. ``ru_maxrss`` is still recorded in the summary, for reference.
"""

from __future__ import annotations

import gc
import importlib
import json
import os
import resource
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any


def _status_kib(key: str) -> int | None:
    """A ``Vm*`` line of ``/proc/self/status`` in KiB, or None off Linux."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def _ru_maxrss_kib() -> int:
    # ru_maxrss is in KiB on Linux (bytes on macOS, which these benchmarks do not target).
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _peak_kib() -> int:
    """This process's own peak RSS (``VmHWM``); ``ru_maxrss`` where /proc is missing."""
    peak = _status_kib("VmHWM")
    return peak if peak is not None else _ru_maxrss_kib()


def _reset_high_water_mark() -> bool:
    try:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")
    except OSError:
        return False
    return True


_PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024 if hasattr(os, "sysconf") else 4


def _children(pid: int) -> list[int] | None:
    """The child processes of ``pid`` (from each of its threads' ``children`` file); None without them."""
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []  # exited meanwhile
    found: list[int] = []
    for tid in threads:
        try:
            with open(f"/proc/{pid}/task/{tid}/children", encoding="ascii") as children:
                found += [int(child) for child in children.read().split()]
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue  # the thread ended meanwhile
            return None  # a kernel without CONFIG_PROC_CHILDREN
        except (OSError, ValueError):
            continue
    return found


def _children_by_scan() -> dict[int, list[int]] | None:
    """Every process's children, from a scan of all of /proc (slower than :func:`_children`)."""
    try:
        pids = [int(name) for name in os.listdir("/proc") if name.isdigit()]
    except OSError:
        return None
    children: dict[int, list[int]] = {}
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
                # The command name (field 2) may hold spaces and parentheses: split after its last ")".
                ppid = int(stat.read().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(pid)
    return children


def _tree_rss_kib(root: int) -> int | None:
    """Resident set of ``root`` and all its descendants, in KiB (None off Linux).

    The tree is walked through ``/proc/<pid>/task/<tid>/children``, a few reads per process: the
    sampler runs in the measured process, and scanning every process of the machine 50 times a
    second took about a sixth of a core from the contender.
    """
    scanned: dict[int, list[int]] | None = None
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        kids = _children(pid) if scanned is None else scanned.get(pid, [])
        if kids is None:
            scanned = _children_by_scan()
            if scanned is None:
                return None
            kids = scanned.get(pid, [])
        todo.extend(kids)
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as statm:
                total += int(statm.read().split()[1]) * _PAGE_KIB
        except (OSError, ValueError, IndexError):
            continue  # exited meanwhile
    return total


class _TreeSampler:
    """Samples the resident set of this process tree every ``interval`` seconds; keeps the largest."""

    def __init__(self, interval: float = 0.02) -> None:
        self.interval = interval
        self.peak_kib: int | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> _TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        root = os.getpid()
        while True:
            sample = _tree_rss_kib(root)
            if sample is not None:
                self.peak_kib = max(self.peak_kib or 0, sample)
            if self._stop.wait(self.interval):
                return


class Probe:
    """Times one block of work and records the memory around it."""

    def __init__(self) -> None:
        self.seconds: float | None = None
        self.setup_rss_kib: int | None = None
        self.setup_peak_kib: int = 0
        self.work_peak_kib: int | None = None
        self.tree_peak_kib: int | None = None

    @contextmanager
    def timed(self) -> Iterator[None]:
        """Measure the enclosed block: wall time (``perf_counter``) and its own memory high-water mark."""
        if self.seconds is not None:
            raise RuntimeError("a contender is timed once")
        gc.collect()  # garbage left by the set-up should not be charged to the work
        self.setup_peak_kib = _peak_kib()
        self.setup_rss_kib = _status_kib("VmRSS")
        reset = _reset_high_water_mark()
        start = time.perf_counter()
        try:
            with _TreeSampler() as tree:
                yield
        finally:
            self.seconds = time.perf_counter() - start
            self.tree_peak_kib = tree.peak_kib
            own = _status_kib("VmHWM") if reset else None
            self.work_peak_kib = None if own is None else max(own, tree.peak_kib or 0)


def read_ids(path: str) -> list[str]:
    """Run ids written one per line by the parent (read before timing)."""
    return [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line]


def main(argv: list[str]) -> int:
    """Run the contender named in the spec file and write its measurement next to it."""
    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    module_name, _, function_name = spec["target"].partition(":")
    contender = getattr(importlib.import_module(module_name), function_name)
    probe = Probe()
    info: dict[str, Any] = contender(probe, **spec["params"])
    if probe.seconds is None:
        raise RuntimeError(f"{spec['target']} never entered probe.timed()")
    result = {
        "seconds": probe.seconds,
        "runs": int(info.pop("runs")),
        "peak_rss_kib": max(probe.setup_peak_kib, _peak_kib(), probe.tree_peak_kib or 0),
        "tree_peak_kib": probe.tree_peak_kib,
        "ru_maxrss_kib": _ru_maxrss_kib(),
        "setup_rss_kib": probe.setup_rss_kib,
        "work_peak_kib": probe.work_peak_kib,
        "info": info,
    }
    Path(spec["result_path"]).write_text(json.dumps(result), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
