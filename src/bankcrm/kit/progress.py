"""Progress reporting for long jobs: the CLI draws bars, tests and libraries pass nothing."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """One bar per file or step: its name and size, then advances, then the end."""

    def start_file(self, name: str, total: int) -> None: ...

    def advance(self, rows: int) -> None: ...

    def end_file(self) -> None: ...


class QuietProgress:
    def start_file(self, name: str, total: int) -> None:
        pass

    def advance(self, rows: int) -> None:
        pass

    def end_file(self) -> None:
        pass
