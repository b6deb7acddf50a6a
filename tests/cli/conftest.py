"""The command line is tested as a user runs it, against the emulator on loopback."""

from loopback import *  # noqa: F403 (the shared loopback fixtures)
