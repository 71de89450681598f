"""How the command line writes: tables that fit the terminal, colour, notes and a spinner.

With the ``cli`` extra (``rich``) a terminal gets coloured tables and a spinner; without it,
or when output goes to a pipe or a file, plain text. The rules:

- stdout piped or redirected: every column in full, no colour, no truncation, so ``grep``,
  ``awk`` and ``cut`` see the whole table;
- stdout a terminal: the columns that fit its width (``wide=True`` shows them all), names
  shortened with an ellipsis when needed, colour unless ``NO_COLOR`` is set;
- stderr a terminal: a spinner for anything that takes over :data:`SPINNER_DELAY` seconds,
  showing retries as they happen; stderr piped: one line per retry instead.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING, Any, Iterator, List, Mapping, Optional, Sequence, Tuple

from pieces_os_client._display.text import printable, text_table
from pieces_os_client.models._display import (
    COLUMN_PRIORITY,
    KEPT_COLUMNS,
    TEXT_COLUMNS,
    Column,
    columns,
    model_row,
    state_text,
)

if TYPE_CHECKING:
    from pieces_os_client.models.model import Model

#: Seconds a command may be silent before the spinner appears.
SPINNER_DELAY = 0.5
#: The narrowest a shortened name column gets.
_NAME_MIN_WIDTH = 12
_GAP = 2  # blanks between two columns
_ELLIPSIS = "\N{HORIZONTAL ELLIPSIS}"


def _load_rich() -> Any:
    try:
        import rich.console
        import rich.table
        import rich.text
    except ImportError:  # the ``cli`` extra is not installed: plain text
        return None
    return rich


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # closed, or not a real file
        return False


def _colour_allowed() -> bool:
    # https://no-color.org: any non-empty NO_COLOR turns colour off.
    return not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"


def fit_columns(
    widths: Sequence[int],
    names: Sequence[str],
    room: int,
    *,
    name_width: int = _NAME_MIN_WIDTH,
    prefer: Sequence[str] = (),
) -> List[str]:
    """The names of the columns to show in ``room`` characters, in table order.

    Columns are taken in :data:`COLUMN_PRIORITY` order (the :data:`KEPT_COLUMNS`, then the
    names in ``prefer``, then the others) while they fit; the name column counts at its
    shortened width, ``name_width`` (see :func:`distinct_name_width`). The id (every other
    command takes it) and the state are always kept.

    Example::

        >>> fit_columns([36, 20, 5], ["id", "name", "location"], 60)
        ['id', 'name', 'location']
    """
    natural = dict(zip(names, widths))
    chosen: List[str] = []
    used = -_GAP
    first = (*KEPT_COLUMNS, *prefer)
    for name in (*first, *(name for name in COLUMN_PRIORITY if name not in first)):
        if name not in natural:
            continue
        width = min(natural[name], name_width) if name == "name" else natural[name]
        if name not in KEPT_COLUMNS and used + _GAP + width > room:
            continue
        chosen.append(name)
        used += _GAP + width
    return [name for name in names if name in chosen]


def _name_shortened(
    shown: Sequence[Column], widths: Sequence[int], room: int, name_width: int
) -> List[int]:
    """``widths`` with the name column cut to what is left of ``room`` (not below
    ``name_width``)."""
    result = list(widths)
    for at, column in enumerate(shown):
        if column.name == "name":
            others = sum(result) - result[at] + _GAP * (len(result) - 1)
            result[at] = max(min(result[at], name_width), min(result[at], room - others))
    return result


def _shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(0, width - 1)] + _ELLIPSIS


def distinct_name_width(names: Sequence[str], least: int = _NAME_MIN_WIDTH) -> int:
    """The narrowest name column (``least`` at the minimum) at which names that differ still
    differ once shortened with an ellipsis: two rows must never both read ``Llama 3 8B Inst…``.

    Example::

        >>> distinct_name_width(["Llama 3 8B Instruct", "Llama 3 8B Instruct (CPU)"], 12)
        19
    """
    unique = set(names)
    longest = max((len(name) for name in unique), default=0)
    for width in range(least, longest):
        if len({_shorten(name, width) for name in unique}) == len(unique):
            return width
    return max(least, longest)


class Terminal:
    """The CLI's output: stdout for results, stderr for notes, errors and the spinner."""

    def __init__(
        self,
        stdout: Optional[IO[str]] = None,
        stderr: Optional[IO[str]] = None,
        *,
        spinner: bool = True,
    ):
        self.stdout = stdout if stdout is not None else sys.stdout
        self.stderr = stderr if stderr is not None else sys.stderr
        self.out_is_terminal = _is_terminal(self.stdout)
        self.err_is_terminal = _is_terminal(self.stderr)
        self._spinner = spinner and self.err_is_terminal
        colour = _colour_allowed()
        # rich is imported only when a terminal will use it: scripts and pipes skip its cost.
        self._rich: Any = _load_rich() if self.out_is_terminal or self.err_is_terminal else None
        # Rich only for a terminal: a pipe gets plain lines, never re-wrapped to 80 columns.
        self._out_console = self._console(self.stdout, self.out_is_terminal, colour)
        self._err_console = self._console(self.stderr, self.err_is_terminal, colour)

    def _console(self, stream: IO[str], is_terminal: bool, colour: bool) -> Any:
        if self._rich is None or not is_terminal:
            return None
        return self._rich.console.Console(
            file=stream,
            color_system="auto" if colour else None,
            no_color=not colour,
            highlight=False,
            emoji=False,
            soft_wrap=False,
        )

    # --- stdout ----------------------------------------------------------------------------
    def line(self, text: str) -> None:
        """One line of plain output (messages, JSON): never styled, never cut."""
        self.stdout.write(text + "\n")

    def styled_line(self, parts: Sequence[Tuple[str, str]]) -> None:
        """One line of ``(text, rich style)`` parts: styled on a terminal, plain otherwise;
        unprintable characters replaced either way."""
        if self._out_console is None:
            self.line("".join(printable(text) for text, _ in parts))
            return
        line = self._rich.text.Text.assemble(*((printable(text), style) for text, style in parts))
        self._out_console.print(line, soft_wrap=True)

    def models_table(
        self,
        models: Sequence[Model],
        *,
        wide: bool = False,
        percentages: Optional[Mapping[str, float]] = None,
    ) -> None:
        """The models as a table: see the module docstring for what fits where.
        ``percentages``: how far the downloads running are, by model id (for the state)."""
        rows = [model_row(model) for model in models]
        if percentages:
            at = TEXT_COLUMNS.index("state")
            for number, model in enumerate(models):
                if model.id in percentages:
                    row = list(rows[number])
                    row[at] = state_text(model, percentages[model.id])
                    rows[number] = tuple(row)
        if not self.out_is_terminal:
            self.line(text_table(rows))
            return
        widths = [
            max([len(name), *(len(row[i]) for row in rows)]) for i, name in enumerate(TEXT_COLUMNS)
        ]
        room = shutil.get_terminal_size().columns
        at_name = TEXT_COLUMNS.index("name")
        name_width = distinct_name_width([printable(row[at_name]) for row in rows])
        # Models of one name differ in their version: then it comes right after the name.
        named = {(row[at_name], row[TEXT_COLUMNS.index("version")]) for row in rows}
        prefer = ("name", "version") if len({name for name, _ in named}) < len(named) else ()
        names = list(TEXT_COLUMNS)
        if not wide:
            names = fit_columns(widths, TEXT_COLUMNS, room, name_width=name_width, prefer=prefer)
            if "name" not in names:  # too narrow for names that differ: the ids tell them apart
                name_width = _NAME_MIN_WIDTH
                names = fit_columns(widths, TEXT_COLUMNS, room, prefer=prefer)
        picked = [TEXT_COLUMNS.index(name) for name in names]
        shown = [tuple(row[i] for i in picked) for row in rows]
        chosen_widths = [widths[i] for i in picked]
        if self._out_console is None:
            self.line(self._plain_fitted(shown, names, chosen_widths, room, wide, name_width))
        else:
            self._rich_table(shown, columns(names), chosen_widths, room, wide, name_width)

    def _plain_fitted(
        self,
        rows: Sequence[Tuple[str, ...]],
        names: Sequence[str],
        widths: Sequence[int],
        room: int,
        wide: bool,
        name_width: int,
    ) -> str:
        if not wide and "name" in names:
            at = list(names).index("name")
            limit = _name_shortened(columns(names), widths, room, name_width)[at]
            rows = [(*row[:at], _shorten(row[at], limit), *row[at + 1 :]) for row in rows]
        return text_table(rows, names)

    def _rich_table(
        self,
        rows: Sequence[Tuple[str, ...]],
        shown: Sequence[Column],
        widths: Sequence[int],
        room: int,
        wide: bool,
        name_width: int,
    ) -> None:
        rich = self._rich
        table = rich.table.Table(
            box=None, padding=(0, 1), pad_edge=False, show_edge=False, header_style="bold"
        )
        widths = _name_shortened(shown, widths, room, name_width) if not wide else list(widths)
        for column, width in zip(shown, widths):
            table.add_column(
                column.name.upper(),
                justify="right" if column.numeric else "left",
                no_wrap=True,
                overflow="ellipsis",
                width=width,  # decided here: rich would otherwise crop the last column
                style="cyan" if column.name == "id" else None,
            )
        for row in rows:
            table.add_row(*(_styled(rich, printable(cell)) for cell in row))
        total = sum(widths) + _GAP * (len(widths) - 1)
        console = self._out_console
        if total > room:  # --wide: a console as wide as the table; the terminal wraps lines
            console = self._console(self.stdout, True, console.color_system is not None)
            # One column spare: rich 13 counts the first column's left padding although
            # pad_edge=False, and would shorten a column by one to fit.
            console.width = total + 1
        console.print(table, crop=False)

    # --- stderr ----------------------------------------------------------------------------
    def note(self, text: str) -> None:
        """A remark on stderr (where Pieces OS was found, a retry): dim on a terminal."""
        text = printable(text)  # a server's text must not drive the terminal
        if self._err_console is not None:
            self._err_console.print(text, style="dim", markup=False, soft_wrap=True)
        else:
            self.stderr.write(text + "\n")

    def error(self, text: str) -> None:
        """``error: text`` on stderr, ``error:`` in red on a terminal."""
        text = printable(text)
        if self._err_console is not None:
            prefix = self._rich.text.Text("error:", style="bold red")
            self._err_console.print(
                prefix, self._rich.text.Text(text), markup=False, soft_wrap=True
            )
        else:
            self.stderr.write(f"error: {text}\n")

    @contextmanager
    def progress(self, message: str) -> Iterator[None]:
        """Show ``message`` with a spinner on stderr if this takes over :data:`SPINNER_DELAY`
        seconds; retries the SDK logs meanwhile update it (or are noted, one line each, when
        stderr is not a terminal)."""
        spinner = _Spinner(self, message) if self._spinner else None
        if spinner is not None:
            watcher = _RetryWatcher(spinner.retried, short=True)
        else:
            watcher = _RetryWatcher(self.note, short=False)
        sdk_logger = logging.getLogger("pieces_os_client")
        level = sdk_logger.level
        if sdk_logger.getEffectiveLevel() > logging.INFO:
            sdk_logger.setLevel(logging.INFO)  # retries are logged at INFO
        sdk_logger.addHandler(watcher)
        try:
            if spinner is not None:
                with spinner:
                    yield
            else:
                yield
        finally:
            sdk_logger.removeHandler(watcher)
            sdk_logger.setLevel(level)


def _styled(rich: Any, cell: str) -> Any:
    style = _STYLES.get(cell)
    if style is None and cell.startswith("downloading"):
        style = "yellow"
    return rich.text.Text(cell, style=style or "")


#: How a cell reads at a glance (states and flags alike).
_STYLES = {
    "yes": "green",
    "no": "dim",
    "-": "dim",
    "cloud": "blue",
    "loaded": "bold green",
    "downloaded": "green",
    "not downloaded": "dim",
}


class _RetryWatcher(logging.Handler):
    """Passes the SDK's "retrying ..." log lines on to the spinner (or to stderr)."""

    def __init__(self, show: Any, *, short: bool) -> None:
        super().__init__(logging.INFO)
        self._show = show
        self._short = short

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args
        if not str(record.msg).startswith("retrying"):
            return
        if self._short and isinstance(args, tuple) and len(args) == 4:
            # (method, url, cause, "1 retry left"): the spinner already names the call
            self._show(f"retrying after {args[2]}, {args[3]}")
        else:
            self._show(record.getMessage())


class _Spinner:
    """A spinner line on stderr that appears only after :data:`SPINNER_DELAY` seconds."""

    def __init__(self, terminal: Terminal, message: str) -> None:
        self._terminal = terminal
        self._base = self._message = message
        self._lock = threading.Lock()
        self._status: Any = None
        self._plain_shown = False  # without rich: a "message ..." line is on screen
        self._done = False
        self._timer = threading.Timer(SPINNER_DELAY, self._start)
        self._timer.daemon = True

    def __enter__(self) -> None:
        self._timer.start()

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()
        with self._lock:
            self._done = True
            if self._status is not None:
                self._status.stop()
            elif self._plain_shown:
                self._terminal.stderr.write("\r\033[K")  # clear the plain progress line
                self._terminal.stderr.flush()

    def _start(self) -> None:
        with self._lock:
            if self._done:
                return
            console = self._terminal._err_console
            if console is None:
                self._terminal.stderr.write(f"{self._message} ...")
                self._terminal.stderr.flush()
                self._plain_shown = True
                return
            self._status = console.status(self._message, spinner="dots")
            self._status.start()

    def retried(self, text: str) -> None:
        with self._lock:
            self._message = f"{self._base}: {text}"
            if self._status is not None:
                self._status.update(self._message)
            elif self._plain_shown:
                self._terminal.stderr.write(f"\r\033[K{self._message} ...")
                self._terminal.stderr.flush()
