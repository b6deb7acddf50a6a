"""The Dagster definitions are tested through Dagster, against the emulator on loopback."""

from loopback import *  # noqa: F403 (the shared loopback fixtures)
