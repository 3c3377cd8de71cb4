"""A progress bar on stderr for a download whose size is learnt when it starts (the BIG-bench
sdist), and one-line notes for the steps after it."""

from __future__ import annotations

from rich.progress import (BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn,
                           TransferSpeedColumn)

from agentarch.cli.common import err


class DownloadBar:
    """``bar(done, total)`` draws the bar (shown from the first call on); ``bar.note(text)`` prints
    a step. Use it as a context manager so the bar is closed on errors too."""

    def __init__(self, label: str):
        self.label = label
        self._progress: Progress | None = None
        self._task = None

    def __call__(self, done: int, total: int) -> None:
        if self._progress is None:
            self._progress = Progress(TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                                      TransferSpeedColumn(), TimeRemainingColumn(), console=err)
            self._progress.start()
            self._task = self._progress.add_task(self.label, total=total or None)
        self._progress.update(self._task, completed=done, total=total or None)

    def note(self, text: str) -> None:
        self.close()
        err.print(f"  {text} ...", highlight=False)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def __enter__(self) -> "DownloadBar":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
