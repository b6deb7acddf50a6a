"""The ``llamacloud-etl`` command: thin click commands over the modules of the package.

llamacloud-etl demo                      the main job on the bundled emulator (README command 1)
llamacloud-etl backfill --start --end    land a range of days from the API in one Dagster run
llamacloud-etl fetch RUN_ID ...          land specific runs (re-lands the days they belong to)
llamacloud-etl query "SQL"               query the dataset in DuckDB, one view per table
llamacloud-etl agents refresh            cache the agent list the Dagster assets are built from
llamacloud-etl emulator                  serve the emulator on loopback
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Sequence
from contextlib import nullcontext
from datetime import UTC, date, datetime, timedelta
from typing import Any

import click

from llamacloud_etl import progress
from llamacloud_etl.console import ExitCode, Problem, describe
from llamacloud_etl.errors import NotFoundError, RunNotReadyError
from llamacloud_etl.preflight import check_api, check_output
from llamacloud_etl.settings import (
    DEFAULT_OUTPUT,
    DEFAULT_STATE_DIR,
    OUTPUT_ENV,
    PROJECT_ENV,
    STATE_DIR_ENV,
    ApiSettings,
)
from llamacloud_etl.terminal import Ui, progress_sink, verbosity


def _output_option() -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option(
        "--output",
        envvar=OUTPUT_ENV,
        default=DEFAULT_OUTPUT,
        show_default=True,
        help=f"Dataset root: a local path or an fsspec URL such as s3://bucket/prefix (env {OUTPUT_ENV}).",
    )


class Failed(click.ClickException):
    """A failure the command reports as one message, with the exit code of its class."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.message)
        self.exit_code = int(problem.code)  # type: ignore[misc]  # click reads it off the instance


class _Group(click.Group):
    """Reports every failure as one message and the exit code of its class (see ``console``);
    a traceback only with --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except Exception as exc:
            if Ui.of(ctx).debug:
                traceback.print_exception(exc)
            raise Failed(describe(exc, (ApiSettings.from_env().api_key,))) from exc


DEMO_V2_DAY = 28
"""The demo's v1/v2 cutover: the day of its 42-day history from which extractions are v2 jobs."""


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="llamacloud-etl")
@verbosity
def main() -> None:
    """Land LlamaCloud extraction runs as typed, hive-partitioned Parquet, orchestrated by Dagster.

    Exit codes: 0 landed, 2 bad usage, 3 configuration, 4 authentication, 5 API unavailable or
    refusing, 6 data or storage (a blocking check failed included), 1 unexpected error.
    """


def _run_days(
    first: date,
    last: date,
    output: str,
    *,
    llamacloud: Any = None,
    run_config: dict[str, Any] | None = None,
    start_date: date | None = None,
    agent_assets: Sequence[Any] | None = None,
) -> ExitCode:
    """Run the landing job over first..last through Dagster, showing progress; print the outcome."""
    from llamacloud_etl.defs import JOB_NAME, build_defs
    from llamacloud_etl.defs.runner import dagster_instance, run_range

    ui = Ui.of()
    defs = build_defs(
        start_date=start_date or first, output=output, llamacloud=llamacloud, agent_assets=agent_assets
    )
    sink = progress_sink(ui)
    with dagster_instance() as instance, progress.showing(sink) if sink else nullcontext():
        if sink:
            sink.start(first, last)
        try:
            outcome = run_range(
                defs,
                JOB_NAME,
                first,
                last,
                instance=instance,
                run_config=run_config,
                log_level="DEBUG" if ui.debug else "CRITICAL",
            )
        finally:
            if sink:
                sink.finish()
    runs_meta = outcome.metadata.get("llamacloud/runs", {})
    click.echo(
        f"{first}..{last} "
        + ("landed" if outcome.success else "FAILED")
        + (
            f": {runs_meta.get('runs_success', 0)} succeeded, {runs_meta.get('runs_errored', 0)} failed, "
            f"{runs_meta.get('runs_pending', 0)} pending, {runs_meta.get('api_requests', 0)} requests, "
            f"{runs_meta.get('api_retries', 0)} retries"
            if runs_meta
            else ""
        )
        + f" (Dagster run {outcome.run_id})"
    )
    if outcome.error:
        raise Failed(Problem(ExitCode(outcome.exit_code or ExitCode.INTERNAL), outcome.error))
    for check in outcome.failed_checks:
        click.echo(f"check failed: {check}", err=True)
    for check in outcome.warned_checks if not ui.quiet else ():
        click.echo(f"check warning: {check}", err=True)
    return ExitCode.OK if outcome.ok else ExitCode.DATA


@main.command()
@click.option("--runs", "num_runs", default=400, show_default=True, help="Runs in the emulator's data set.")
@click.option("--seed", default=0, show_default=True, help="Seed of the emulator's data set.")
@click.option(
    "--latency-ms", default=0.0, show_default=True, help="Latency the emulator adds to each request."
)
@_output_option()
@verbosity
def demo(num_runs: int, seed: int, latency_ms: float, output: str) -> None:
    """Run the main job on embedded defaults: the bundled emulator, local Parquet, DuckDB.

    Starts the emulator on a free loopback port, backfills every day of its data set through
    Dagster in one run, then prints a DuckDB summary of the dataset. The data set's last third is
    served as v2 jobs (a team that upgraded to SDK 2.x), the rest as v1 runs: the demo lands both.
    """
    from llamacloud_etl.defs.resources import LlamaCloudResource
    from llamacloud_etl.emulator import DEFAULT_START, EmulatorApp, EmulatorServer, build_dataset

    ui = Ui.of()
    ui.configure_logging()
    check_output(output)
    start = DEFAULT_START
    dataset = build_dataset(num_runs, seed=seed, start=start, v2_from=start + timedelta(days=DEMO_V2_DAY))
    first, last = dataset.start, dataset.start + timedelta(days=dataset.days - 1)
    key = "llx-demo-" + os.urandom(8).hex()
    app = EmulatorApp(dataset, api_key=key, latency_ms=latency_ms)
    with EmulatorServer(app) as server:
        ui.say(
            f"Emulator at {server.url}: {len(dataset.agents)} v1 agents with {len(dataset.runs)} runs, "
            f"{len(dataset.configurations)} v2 configurations with {len(dataset.v2_jobs)} jobs "
            f"(from {start + timedelta(days=DEMO_V2_DAY)}), {first}..{last}"
        )
        ui.say(f"Backfilling {first}..{last} into {output} through Dagster ...")
        resource = LlamaCloudResource(api_key=key, base_url=server.url, api_version="both")
        with resource.get_source() as source:  # one asset per emulator agent, not the cached list
            agents = source.list_agents()
        code = _run_days(first, last, output, llamacloud=resource, agent_assets=agents)
    if code == ExitCode.OK and not ui.quiet:
        _print_summary(output)
    sys.exit(code)


def _print_summary(output: str) -> None:
    from llamacloud_etl.query import demo_summary

    click.echo("")
    click.echo(demo_summary(output))
    example = "SELECT * FROM runs LIMIT 5"
    click.echo(f'Query it: llamacloud-etl query --output {output} "{example}"')


@main.command()
@click.option("--start", type=click.DateTime(["%Y-%m-%d"]), required=True, help="First day (UTC), inclusive.")
@click.option("--end", type=click.DateTime(["%Y-%m-%d"]), required=True, help="Last day (UTC), inclusive.")
@click.option("--agent", "agents", multiple=True, help="Agent name or ID to land (repeatable); default all.")
@_output_option()
@verbosity
def backfill(start: Any, end: Any, agents: Sequence[str], output: str) -> None:
    """Land every finished run created from --start to --end in one single-run Dagster backfill.

    Reads the API at LLAMA_CLOUD_BASE_URL with LLAMA_CLOUD_API_KEY. Exits 0 only if every day landed
    and every blocking check passed.
    """
    Ui.of().configure_logging()
    first, last = start.date(), end.date()
    if last < first:
        raise click.BadParameter(f"--end {last} is before --start {first}")
    today = datetime.now(UTC).date()
    if last > today:
        raise click.BadParameter(f"--end {last} is after today ({today}, UTC): no run can be created then")
    check_api()
    check_output(output)
    config = _landing_config(agents=list(agents))
    sys.exit(_run_days(first, last, output, run_config=config))


@main.command()
@click.argument("run_ids", nargs=-1, required=True)
@click.option("--agent", "agents", multiple=True, help="Restrict to these agents (names or IDs).")
@_output_option()
@verbosity
def fetch(run_ids: Sequence[str], agents: Sequence[str], output: str) -> None:
    """Land specific runs by ID: each run's day is re-landed, with the run in it.

    Consecutive days go in one Dagster run; days far apart get one run each.
    """
    Ui.of().configure_logging()
    api = check_api()
    check_output(output)
    day_of_run = _days_of_runs(api, run_ids)
    code = ExitCode.OK
    for first, last in _contiguous(sorted(set(day_of_run.values()))):
        block = sorted(r for r, d in day_of_run.items() if first <= d <= last)
        config = _landing_config(agents=list(agents), run_ids=block)
        start = min(day_of_run.values())
        code = max(code, _run_days(first, last, output, run_config=config, start_date=start))
    sys.exit(code)


def _days_of_runs(api: ApiSettings, run_ids: Sequence[str]) -> dict[str, date]:
    """The day each run lands in; every run must exist and be finished.

    IDs are read by the configured API version's source (``LLAMACLOUD_ETL_API_VERSION``) and
    checked, all of them, before the first request: a malformed one names the shapes expected.
    """
    from llamacloud_etl.settings import Settings
    from llamacloud_etl.sources import open_source

    day_of_run: dict[str, date] = {}
    with open_source(api, Settings.from_env().api_version) as source:
        checked = [source.check_run_id(run_id) for run_id in run_ids]
        for result in source.fetch_runs(checked):
            if isinstance(result.error, NotFoundError):
                raise Failed(
                    Problem(
                        ExitCode.USAGE,
                        f"no run {result.run_id} in this project (404): "
                        f"check the ID, and {PROJECT_ENV} when set.",
                    )
                )
            if result.error is not None:
                raise result.error
            run = result.run
            assert run is not None
            if not run.outcome.finished:
                raise RunNotReadyError(run.id, str(run.status))
            day = source.run_day(run)
            if day is None:
                raise Failed(Problem(ExitCode.DATA, f"run {run.id} has no created_at, so no day to land in."))
            day_of_run[run.id] = day
    return day_of_run


def _contiguous(days: Sequence[date]) -> list[tuple[date, date]]:
    """Sorted days grouped into runs of consecutive days: [(first, last), ...]."""
    blocks: list[tuple[date, date]] = []
    for day in days:
        if blocks and day == blocks[-1][1] + timedelta(days=1):
            blocks[-1] = (blocks[-1][0], day)
        else:
            blocks.append((day, day))
    return blocks


def _landing_config(**config: Any) -> dict[str, Any]:
    values = {k: v for k, v in config.items() if v}
    return {"ops": {"land_extraction_runs": {"config": values}}} if values else {}


@main.command()
@click.argument("sql")
@_output_option()
@click.option(
    "--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table", show_default=True
)
@verbosity
def query(sql: str, output: str, fmt: str) -> None:
    """Run SQL over the dataset in DuckDB: views runs, field_metadata, <agent>_records, ..."""
    from llamacloud_etl.query import run_query

    Ui.of().configure_logging()
    table = run_query(output, sql)
    frame = table.to_pandas()
    if fmt == "csv":
        click.echo(frame.to_csv(index=False), nl=False)
    elif fmt == "json":
        click.echo(frame.to_json(orient="records", date_format="iso"))
    else:
        click.echo(frame.to_string(index=False, max_colwidth=60))


@main.group("agents")
def agents_group() -> None:
    """The cached agent list from which the Dagster definitions build one asset per agent."""


@agents_group.command("refresh")
@click.option(
    "--state-dir",
    envvar=STATE_DIR_ENV,
    default=DEFAULT_STATE_DIR,
    show_default=True,
    help=f"Directory of the cached agent list, agents.json (env {STATE_DIR_ENV}).",
)
def refresh_agents(state_dir: str) -> None:
    """List the project's agents (one API call) and cache them for the Dagster definitions.

    Reads the API at LLAMA_CLOUD_BASE_URL with LLAMA_CLOUD_API_KEY. Reload the definitions
    (the Reload button, or restart `dagster dev`) to see one asset per agent.
    """
    from llamacloud_etl.agent_state import refresh_agent_state, state_path
    from llamacloud_etl.settings import ApiSettings, Settings
    from llamacloud_etl.sources import open_source
    from llamacloud_etl.storage import agent_slug

    path = state_path(state_dir)
    with open_source(ApiSettings.from_env(), Settings.from_env().api_version) as source:
        state = refresh_agent_state(source, path)
    click.echo(f"{len(state.agents)} agents cached in {path}:")
    for agent in state.agents:
        click.echo(f"  {agent.name} ({agent.id}) -> llamacloud/{agent_slug(agent.name, agent.id)}/records")


@main.command()
@click.option("--port", default=8400, show_default=True, help="Loopback port (0 picks a free one).")
@click.option("--runs", "num_runs", default=400, show_default=True, help="Runs in the data set.")
@click.option("--seed", default=0, show_default=True)
@click.option("--latency-ms", default=0.0, show_default=True, help="Latency added to each request.")
@click.option("--fault-rate", default=0.0, show_default=True, help="Share of requests answered with a fault.")
@click.option(
    "--api-key", default="llx-emulator-key", show_default=True, help="The key the emulator accepts."
)
@click.option(
    "--v2-from",
    type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S"]),
    default=None,
    help="v1/v2 cutover (UTC): runs created from then on are served as v2 jobs only. Default: all v1.",
)
def emulator(
    port: int, num_runs: int, seed: int, latency_ms: float, fault_rate: float, api_key: str, v2_from: Any
) -> None:
    """Serve the LlamaCloud emulator on 127.0.0.1 until interrupted."""
    from llamacloud_etl.emulator import serve_forever

    serve_forever(
        port=port,
        runs=num_runs,
        seed=seed,
        latency_ms=latency_ms,
        fault_rate=fault_rate,
        api_key=api_key,
        v2_from=v2_from,
    )


if __name__ == "__main__":
    main()
