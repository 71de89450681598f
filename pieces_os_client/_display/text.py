"""Models as plain text: the table the CLI writes in a pipe, ``print(model)`` and
``print(snapshot)``; what each column holds is decided once in :mod:`pieces_os_client.models._display`."""

from __future__ import annotations

from typing import TYPE_CHECKING, Sequence

from pieces_os_client.models._display import (
    COLUMNS,
    SUMMARY_COLUMNS,
    TEXT_COLUMNS,
    ShownModel,
    field_rows,
    model_row,
    summary_line,
)

if TYPE_CHECKING:
    from pieces_os_client.models._base import WireModel

#: The columns whose values are numbers: right-aligned.
_NUMERIC = frozenset(column.name for column in COLUMNS if column.numeric)


def printable(cell: str) -> str:
    """``cell`` with every unprintable character (newline, escape) replaced by U+FFFD."""
    # One model per line: a newline or an escape sequence in a name must not break the table
    # (or the terminal).
    if cell.isprintable():
        return cell
    return "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in cell)


def text_table(rows: Sequence[Sequence[str]], headers: Sequence[str] = TEXT_COLUMNS) -> str:
    """Columns separated by two spaces, upper-case headers, no trailing blanks; numbers
    (:attr:`Column.numeric`) right-aligned, everything else left-aligned."""
    table = [[header.upper() for header in headers]]
    table.extend([printable(cell) for cell in row] for row in rows)
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    right = [name in _NUMERIC for name in headers]
    return "\n".join(
        "  ".join(
            cell.rjust(width) if align_right else cell.ljust(width)
            for cell, width, align_right in zip(line, widths, right)
        ).rstrip()
        for line in table
    )


def text_fields(model: WireModel) -> str:
    """One ``field  value`` line per field the model has a value for."""
    rows = field_rows(model)
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"{name.ljust(width)}  {printable(text)}" for name, text in rows)


def text_summary(models: Sequence[ShownModel]) -> str:
    """What ``print(snapshot)`` shows: a count line, then a table of :data:`SUMMARY_COLUMNS`."""
    rows = [model_row(model, SUMMARY_COLUMNS) for model in models]
    return f"Models: {summary_line(models)}\n" + text_table(rows, SUMMARY_COLUMNS)
