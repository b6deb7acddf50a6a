"""How the command line talks to the terminal: -q/-v/--debug, logging, the console, the progress sink.

The flags may stand before or after the command's name (``llamacloud-etl -q backfill`` or
``backfill -q``); :class:`Ui` reads them back from the click context. On a terminal that can
redraw, progress is a rich live display; piped or in CI, plain lines; with ``-q``, nothing.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from stamina.instrumentation import set_on_retry_hooks

from llamacloud_etl.progress import LineDisplay, LiveDisplay, Sink
from llamacloud_etl.settings import DEBUG_ENV, debug_from_env

_CLIENT_LOGGER = "llamacloud_etl.client"


@dataclass(frozen=True)
class Ui:
    """How much the command shows: -q, -v, --debug (or LLAMACLOUD_ETL_DEBUG=1)."""

    quiet: bool = False
    verbose: bool = False
    debug: bool = False

    @classmethod
    def of(cls, ctx: click.Context | None = None) -> Ui:
        meta = (ctx or click.get_current_context()).find_root().meta
        return cls(
            quiet=bool(meta.get("llamacloud.quiet")),
            verbose=bool(meta.get("llamacloud.verbose")),
            debug=bool(meta.get("llamacloud.debug")) or debug_from_env(),
        )

    def configure_logging(self) -> None:
        """Log to stderr at the level -q/-v/--debug ask (WARNING by default), above the live
        display on a terminal. Left as it is when the host already set logging up (tests, embedding)."""
        # The client logs its retries itself; stamina's own report (via structlog, on stdout) repeats them.
        set_on_retry_hooks([])
        if logging.getLogger().handlers:
            return
        level = logging.DEBUG if self.debug else logging.INFO if self.verbose else logging.WARNING
        console = stderr_console()
        handler: logging.Handler
        if _is_live(console):
            from rich.logging import RichHandler

            handler = RichHandler(console=console, show_path=False)
        else:
            handler = logging.StreamHandler()
            handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        if not (self.verbose or self.debug):
            # The final error says the client retried; each retry's line is for -v.
            handler.addFilter(lambda r: r.levelno >= logging.ERROR or not r.name.startswith(_CLIENT_LOGGER))
        logging.basicConfig(
            level=logging.ERROR if self.quiet and not self.debug else level, handlers=[handler]
        )

    def say(self, message: str) -> None:
        """Print unless -q."""
        if not self.quiet:
            click.echo(message)


def _remember(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.find_root().meta[f"llamacloud.{param.name}"] = True


def verbosity(f: Callable[..., Any]) -> Callable[..., Any]:
    """-q, -v and --debug, taken before or after the command's name."""
    for option in (
        click.option(
            "--debug",
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help=f"Show tracebacks and Dagster's own events (env {DEBUG_ENV}=1).",
        ),
        click.option(
            "-v",
            "--verbose",
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help="Show the landing's and the client's INFO logs (requests, retries).",
        ),
        click.option(
            "-q",
            "--quiet",
            is_flag=True,
            expose_value=False,
            callback=_remember,
            help="Show only errors and the final one-line outcome.",
        ),
    ):
        f = option(f)
    return f


@functools.cache
def stderr_console() -> Any:
    """The one rich console on stderr that the live display and the log lines share."""
    from rich.console import Console

    return Console(stderr=True)


def _is_live(console: Any) -> bool:
    """A terminal that can redraw (not piped, not dumb, not CI)."""
    return bool(console.is_terminal and not console.is_dumb_terminal and not os.environ.get("CI"))


def progress_sink(ui: Ui) -> Sink | None:
    """A live display on a terminal, plain lines when piped or in CI, nothing with -q."""
    if ui.quiet:
        return None
    console = stderr_console()
    if _is_live(console):
        return LiveDisplay(console)
    return LineDisplay(lambda line: click.echo(line, err=True))
