"""``python -m llamacloud_etl.emulator``: serve the emulator in the foreground (same knobs as the CLI)."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import datetime

from llamacloud_etl.emulator.app import DEFAULT_API_KEY
from llamacloud_etl.emulator.dataset import DEFAULT_NUM_RUNS
from llamacloud_etl.emulator.server import serve_forever


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments and serve until Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m llamacloud_etl.emulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default: loopback)")
    parser.add_argument("--port", type=int, default=8787, help="TCP port, 0 for any free one")
    parser.add_argument("--runs", type=int, default=DEFAULT_NUM_RUNS, help="number of runs in the data set")
    parser.add_argument("--seed", type=int, default=0, help="data set and fault seed")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every request")
    parser.add_argument("--fault-rate", type=float, default=0.0, help="fraction of requests that fail")
    parser.add_argument("--api-key", default=DEFAULT_API_KEY, help="the key clients must send")
    parser.add_argument(
        "--v2-from",
        type=datetime.fromisoformat,
        default=None,
        help="v1/v2 cutover: extractions created from this date/time (UTC) on are v2 jobs (default: none)",
    )
    args = parser.parse_args(argv)
    serve_forever(
        port=args.port,
        runs=args.runs,
        seed=args.seed,
        latency_ms=args.latency_ms,
        fault_rate=args.fault_rate,
        api_key=args.api_key,
        host=args.host,
        v2_from=args.v2_from,
    )


if __name__ == "__main__":
    main()
