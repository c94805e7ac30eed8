"""Crash-test points. `BANKCRM_KILL_AT=<point>` makes the process SIGKILL itself there,
so tests can prove an import is all-or-nothing at its most delicate moments.
"""

from __future__ import annotations

import os
import signal


def checkpoint(point: str) -> None:
    if os.environ.get("BANKCRM_KILL_AT") == point:
        os.kill(os.getpid(), signal.SIGKILL)
