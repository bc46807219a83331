"""Terminal output through rich: aligned tables and ingest progress, plain text when piped.

On a terminal, tables are drawn by rich (columns sized to their widest cell or header) and
ingest shows a live line through every phase, the SQLite write included. Not on a terminal
(a pipe, a file, CI), tables are the plain aligned text of :mod:`bot.text_report` and progress
is one line per phase, so logs and scripts get stable text. ``NO_COLOR`` is honoured by rich.

rich is imported only when something is drawn with it: a question answered into a pipe
never loads it (a few tens of ms of start-up, issue 18).
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

from bot.text_report import TableRenderer, TextTable, plain_table

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID


def rich_table(console: Console) -> TableRenderer:
    """Return a renderer drawing :class:`TextTable` s with rich for ``console``."""
    from rich import box
    from rich.table import Table

    def render(table: TextTable) -> str:
        grid = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, header_style="bold")
        for header, right in zip(table.headers, table.right, strict=True):
            grid.add_column(header, justify="right" if right else "left", no_wrap=True)
        for row in table.rows:
            grid.add_row(*row)
        with console.capture() as captured:
            console.print(grid)
        return captured.get().rstrip("\n")

    return render


def table_renderer(console: Console) -> TableRenderer:
    """rich on a terminal, plain aligned text otherwise."""
    return rich_table(console) if console.is_terminal else plain_table


def stdout_tables() -> TableRenderer:
    """Return the renderer for standard output: rich on a terminal, plain text otherwise.

    Standard output is asked whether it is a terminal before rich is imported, so a pipe,
    a file or CI gets the plain text without loading rich (even with ``FORCE_COLOR``: scripts
    get stable text); on a terminal rich decides, as :func:`table_renderer` does.
    """
    isatty = getattr(sys.stdout, "isatty", None)
    if isatty is None or not isatty():
        return plain_table
    from rich.console import Console

    return table_renderer(Console())


class IngestProgress:
    """Rows read, then each later phase ("rolling up", "writing to the store"), on stderr."""

    def __init__(self, console: Console, *, quiet: bool = False) -> None:
        self._console = console
        self._quiet = quiet
        self._live = console.is_terminal and not quiet
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._phase = "reading"

    def __enter__(self) -> IngestProgress:
        if self._live:
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self._progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=self._console,
                transient=True,
            )
            self._progress.start()
            self._task = self._progress.add_task("reading the exports")
        elif not self._quiet:
            self._console.print("reading the exports", highlight=False)
        return self

    def rows(self, rows: int, seconds: float) -> None:
        """Report rows read so far."""
        if self._progress is not None and self._task is not None:
            rate = rows / seconds if seconds else 0
            self._progress.update(
                self._task, description=f"reading: {rows:,} rows ({rate:,.0f} rows/s)"
            )

    def phase(self, name: str) -> None:
        """Report that ingest moved on to ``name`` (e.g. "writing to the store")."""
        self._phase = name
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=name)
        elif not self._quiet:
            self._console.print(name, highlight=False)

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
