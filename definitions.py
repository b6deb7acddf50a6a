"""Entry point for ``dagster dev`` / ``dagster definitions validate`` (see workspace.yaml)."""

from llamacloud_etl.defs import defs

__all__ = ["defs"]
