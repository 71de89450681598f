"""Tables of models for people: the HTML a notebook shows and the text the CLI prints.

One place decides what a model looks like in a table, so the notebook and the terminal
agree. Everything here is plain string work (no pydantic calls), so rendering a large
snapshot costs one pass over its models.
"""

from __future__ import annotations

import html
from enum import Enum
from typing import TYPE_CHECKING, Iterable, List, Optional, Sequence, Tuple

if TYPE_CHECKING:
    from pieces_os_client.models.model import Model

#: The notebook table's columns, in order.
HTML_COLUMNS: Tuple[str, ...] = (
    "name",
    "provider",
    "foundation",
    "usage",
    "cloud/local",
    "downloaded",
    "loaded",
    "size",
)
#: The CLI table puts the id first: it is what every other command takes.
TEXT_COLUMNS: Tuple[str, ...] = ("id", *HTML_COLUMNS)
#: What an absent value shows as.
MISSING = "-"

_SIZE_UNITS = ("B", "kB", "MB", "GB", "TB")


def _enum_text(value: Optional[Enum]) -> str:
    # Unknown values a newer server sends are pseudo-members: ``.value`` is still their string.
    return MISSING if value is None else str(value.value)


def _flag_text(value: Optional[bool]) -> str:
    if value is None:
        return MISSING
    return "yes" if value else "no"


def _human_bytes(value: int) -> str:
    amount = float(value)
    for unit in _SIZE_UNITS:
        if abs(amount) < 1000 or unit == _SIZE_UNITS[-1]:
            return f"{int(amount)} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1000
    raise AssertionError("unreachable")  # pragma: no cover


def _size_text(model: Model) -> str:
    size = model.bytes
    if size is None:
        return MISSING
    return size.readable or _human_bytes(size.value)


def model_row(model: Model) -> Tuple[str, ...]:
    """The cells of :data:`TEXT_COLUMNS` for one model, as plain strings."""
    return (
        model.id,
        model.name,
        _enum_text(model.provider),
        _enum_text(model.foundation),
        _enum_text(model.usage),
        "cloud" if model.cloud else "local",
        _flag_text(model.downloaded),
        _flag_text(model.loaded),
        _size_text(model),
    )


def html_table(models: Iterable[Model], caption: Optional[str] = None) -> str:
    """An HTML ``<table>`` of :data:`HTML_COLUMNS`; every value is escaped.

    The model id is the row's ``title`` (shown on hover) rather than a column: ids are long
    and rarely what a reader scans for.
    """
    parts: List[str] = ['<table class="pieces-os-models">']
    if caption is not None:
        parts.append(f"<caption>{html.escape(caption)}</caption>")
    parts.append("<thead><tr>")
    parts.extend(f"<th>{html.escape(column)}</th>" for column in HTML_COLUMNS)
    parts.append("</tr></thead><tbody>")
    for model in models:
        row = model_row(model)
        parts.append(f'<tr title="{html.escape(row[0], quote=True)}">')
        parts.extend(f"<td>{html.escape(cell)}</td>" for cell in row[1:])
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


def _printable(cell: str) -> str:
    # One model per line: a newline or an escape sequence in a name must not break the table
    # (or the terminal).
    if cell.isprintable():
        return cell
    return "".join(ch if ch.isprintable() else "\N{REPLACEMENT CHARACTER}" for ch in cell)


def text_table(rows: Sequence[Sequence[str]], headers: Sequence[str] = TEXT_COLUMNS) -> str:
    """Left-aligned columns separated by two spaces, upper-case headers, no trailing blanks."""
    table = [[header.upper() for header in headers]]
    table.extend([_printable(cell) for cell in row] for row in rows)
    widths = [max(len(line[i]) for line in table) for i in range(len(headers))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip() for line in table
    )
