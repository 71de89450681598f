"""Models for people: the columns every view shows and the HTML a notebook shows (the plain
text ``print()`` and the CLI write is :mod:`pieces_os_client._display.text`).

One place decides what a model looks like (:data:`COLUMNS`), so the notebook, the REPL and
the terminal agree. Everything here is plain string work (no pydantic calls), so rendering a
large snapshot costs one pass over its models.
"""

from __future__ import annotations

import datetime as _dt
import html
from enum import Enum
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Iterable,
    List,
    NamedTuple,
    Optional,
    Protocol,
    Sequence,
    Tuple,
)

if TYPE_CHECKING:
    from pieces_os_client.models._base import WireModel
    from pieces_os_client.models.byte_descriptor import ByteDescriptor


class ShownModel(Protocol):
    """What a models table reads of each model (a ``Model`` has all of it). Named here so
    that this module needs nothing of ``model.py``, which builds its display on it."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def cloud(self) -> bool: ...
    @property
    def downloaded(self) -> Optional[bool]: ...
    @property
    def loaded(self) -> Optional[bool]: ...
    @property
    def downloading(self) -> Optional[bool]: ...
    @property
    def bytes(self) -> Optional[ByteDescriptor]: ...
    @property
    def usage(self) -> Optional[Enum]: ...
    @property
    def provider(self) -> Optional[Enum]: ...
    @property
    def foundation(self) -> Optional[Enum]: ...
    @property
    def created(self) -> Any: ...


#: What an absent value shows as.
MISSING = "-"

_SIZE_UNITS = ("B", "kB", "MB", "GB", "TB")
_NBSP = "\N{NO-BREAK SPACE}"


class Column(NamedTuple):
    """One column of a models table: its header, how to get the cell text, and alignment."""

    name: str
    cell: Callable[[ShownModel], str]
    #: Numbers are right-aligned (and never wrap); text is left-aligned.
    numeric: bool = False


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


def _size_text(model: ShownModel) -> str:
    size = model.bytes
    if size is None:
        return MISSING
    return size.readable or _human_bytes(size.value)


def state_text(model: ShownModel, percentage: Optional[float] = None) -> str:
    """Where a model stands, in one word or two: ``cloud``, ``loaded``, ``downloaded``,
    ``downloading`` (``downloading 42%`` when the percentage is known) or ``not downloaded``.

    Example::

        >>> from pieces_os_client.testing import builtin_catalogue
        >>> [state_text(m) for m in builtin_catalogue()[7:10]]
        ['cloud', 'loaded', 'not downloaded']
    """
    if model.cloud:
        return "cloud"
    if model.loaded:
        return "loaded"
    if model.downloading:
        return "downloading" if percentage is None else f"downloading {percentage:.0f}%"
    if model.downloaded:
        return "downloaded"
    return "not downloaded"


def _date_text(value: Any) -> str:
    moment = getattr(value, "value", None)
    return moment.date().isoformat() if isinstance(moment, _dt.datetime) else MISSING


#: Every column, in order. The CLI drops columns from the end of :data:`COLUMN_PRIORITY`
#: when the terminal is narrow.
COLUMNS: Tuple[Column, ...] = (
    Column("id", lambda m: m.id),
    Column("name", lambda m: m.name),
    Column("version", lambda m: m.version),
    Column("state", state_text),
    Column("location", lambda m: "cloud" if m.cloud else "local"),
    Column("downloaded", lambda m: _flag_text(m.downloaded)),
    Column("loaded", lambda m: _flag_text(m.loaded)),
    Column("size", _size_text, numeric=True),
    Column("usage", lambda m: _enum_text(m.usage)),
    Column("provider", lambda m: _enum_text(m.provider)),
    Column("foundation", lambda m: _enum_text(m.foundation)),
    Column("created", lambda m: _date_text(m.created)),
)
#: Column names, most wanted first: what a narrow table keeps. ``state`` says what
#: ``location``, ``downloaded`` and ``loaded`` say, so they come last.
COLUMN_PRIORITY: Tuple[str, ...] = (
    "id",
    "state",
    "name",
    "size",
    "usage",
    "provider",
    "version",
    "foundation",
    "created",
    "location",
    "loaded",
    "downloaded",
)
#: Columns a fitted table never drops: the id every command takes, and where the model
#: stands (cloud, downloaded, downloading, loaded).
KEPT_COLUMNS: Tuple[str, ...] = ("id", "state")
#: The names of :data:`COLUMNS`; the CLI's plain table and the notebook's HTML show them all.
TEXT_COLUMNS: Tuple[str, ...] = tuple(column.name for column in COLUMNS)
#: Every column for a notebook, the name first: it is what a reader scans for. (A snapshot
#: in a notebook has no download percentages: location, downloaded and loaded say it all.)
HTML_WIDE_COLUMNS: Tuple[str, ...] = (
    "name",
    "id",
    *(name for name in TEXT_COLUMNS[2:] if name != "state"),
)
#: What a notebook shows by default: the columns the CLI keeps first, which fit 1,000 px at a
#: browser's default 16 px font (``to_html(wide=True)`` shows every column).
HTML_COLUMNS: Tuple[str, ...] = (
    "name",
    "id",
    "version",
    "location",
    "loaded",
    "size",
    "usage",
    "provider",
)
#: ``print(snapshot)`` keeps to what fits a usual terminal.
SUMMARY_COLUMNS: Tuple[str, ...] = ("id", "name", "location", "loaded", "size", "usage")

_BY_NAME = {column.name: column for column in COLUMNS}


def columns(names: Sequence[str]) -> Tuple[Column, ...]:
    """The :class:`Column` of each name, in the order given."""
    return tuple(_BY_NAME[name] for name in names)


def model_row(model: ShownModel, names: Sequence[str] = TEXT_COLUMNS) -> Tuple[str, ...]:
    """The cells of the named columns (all of :data:`TEXT_COLUMNS` by default) for one model."""
    return tuple(_BY_NAME[name].cell(model) for name in names)


def summary_line(models: Sequence[ShownModel]) -> str:
    """``20 models: 12 local, 8 cloud; 3 loaded``."""
    count = len(models)
    local = sum(1 for model in models if not model.cloud)
    loaded = sum(1 for model in models if model.loaded)
    noun = "model" if count == 1 else "models"
    return f"{count} {noun}: {local} local, {count - local} cloud; {loaded} loaded"


# --- HTML ----------------------------------------------------------------------------------------
# Inline styles only: a ``<style>`` block would leak into the rest of the notebook (and GitHub
# drops it), and a page with no stylesheet at all (a report, a static site) must still read:
# padding between cells, a rule under the header, faint stripes. Inline styles also win over
# Jupyter's, which right-aligns every cell and lets them wrap. Colours are translucent grey, so
# they suit light and dark themes (VS Code's) alike.
_PAD = "padding: 0.25em 0.5em"
_TABLE_STYLE = "border-collapse: collapse; border-spacing: 0"
_HEAD_STYLE = "border-bottom: 1px solid rgba(127, 127, 127, 0.6); vertical-align: bottom"
_STRIPE = "background: rgba(127, 127, 127, 0.08)"
_TEXT_STYLE = f"text-align: left; vertical-align: top; {_PAD}"
_NAME_STYLE = f"text-align: left; vertical-align: top; min-width: 8em; {_PAD}"
#: Short values (versions, dates) stay on one line; names wrap between words, enum values
#: after an underscore (``CODE_<wbr>CONVERSATION``), so the table can narrow to its page.
_SHORT_TEXT_STYLE = f"text-align: left; white-space: nowrap; vertical-align: top; {_PAD}"
_ENUM_STYLE = f"text-align: left; vertical-align: top; {_PAD}"
_NUMBER_STYLE = f"text-align: right; white-space: nowrap; vertical-align: top; {_PAD}"
_ID_STYLE = "white-space: nowrap; user-select: all"
#: In a table the id shows its first characters (as git shows a commit's), the whole of it
#: on hover; selecting and copying it still takes every character.
_SHORT_ID_STYLE = (
    f"{_ID_STYLE}; display: inline-block; max-width: 7.5em; overflow: hidden; "
    "text-overflow: ellipsis; vertical-align: top"
)
_CAPTION_STYLE = "text-align: left; padding: 0.25em 0.5em"
#: Columns whose values are enum names, long runs of capitals joined by underscores.
_ENUM_COLUMNS = frozenset({"usage", "provider", "foundation"})


def _html_cell(tag: str, column: Column, text: str) -> str:
    if column.numeric:
        style = _NUMBER_STYLE
    elif column.name == "name":
        style = _NAME_STYLE
    elif column.name in _ENUM_COLUMNS:
        style = _ENUM_STYLE
    else:
        style = _SHORT_TEXT_STYLE
    if tag == "th":
        style = f"{style}; {_HEAD_STYLE}"
    if column.numeric and tag == "td":
        text = text.replace(" ", _NBSP)  # "4.9 GB" stays on one line even without the style
    escaped = html.escape(text)
    if column.name in _ENUM_COLUMNS and tag == "td":
        escaped = escaped.replace("_", "_<wbr>")  # a line may break after an underscore
    if column.name == "id" and tag == "td":
        # One click selects the whole id, ready to copy.
        escaped = f'<code style="{_SHORT_ID_STYLE}" title="{escaped}">{escaped}</code>'
    return f'<{tag} style="{style}">{escaped}</{tag}>'


def html_table(
    models: Iterable[ShownModel], caption: Optional[str] = None, *, wide: bool = False
) -> str:
    """An HTML ``<table>`` of :data:`HTML_COLUMNS` (every column with ``wide``); every value
    is escaped.

    Example::

        >>> from pieces_os_client.testing import builtin_catalogue
        >>> html_table(builtin_catalogue()[:1]).count("<th ")
        8
    """
    shown = columns(HTML_WIDE_COLUMNS if wide else HTML_COLUMNS)
    parts: List[str] = [f'<table class="pieces-os-models" style="{_TABLE_STYLE}">']
    if caption is not None:
        parts.append(f'<caption style="{_CAPTION_STYLE}">{html.escape(caption)}</caption>')
    parts.append("<thead><tr>")
    parts.extend(_html_cell("th", column, column.name) for column in shown)
    parts.append("</tr></thead><tbody>")
    for number, model in enumerate(models):
        parts.append(f'<tr style="{_STRIPE}">' if number % 2 else "<tr>")
        parts.extend(_html_cell("td", column, column.cell(model)) for column in shown)
        parts.append("</tr>")
    parts.append("</tbody></table>")
    return "".join(parts)


#: The field/value view opens with what identifies a model; the rest keep declaration order.
_FIRST_FIELDS = ("id", "name", "version")


def field_rows(model: WireModel) -> List[Tuple[str, str]]:
    """``(field, value)`` for every field the model has a value for: id, name and version
    first, then the others in declaration order. Fields go by their wire names (``schema``,
    ``maxTokens``), as JSON and Pieces OS's documents name them.

    Enums show their value, sizes their readable form and byte count, timestamps ISO 8601,
    nested objects their fields on one line.
    """
    rows: List[Tuple[str, str]] = []
    values = {**model.__dict__, **(model.__pydantic_extra__ or {})}
    fields = type(model).model_fields
    names = [*fields, *(model.__pydantic_extra__ or {})]
    first = [name for name in _FIRST_FIELDS if name in names]
    for name in [*first, *(name for name in names if name not in first)]:
        value = values.get(name)
        if value is None:
            continue
        info = fields.get(name)
        wire = info.alias if info is not None and info.alias else name
        rows.append((wire, _value_text(value)))
    return rows


def _value_text(value: Any) -> str:
    from pieces_os_client.models.byte_descriptor import ByteDescriptor
    from pieces_os_client.models.grouped_timestamp import GroupedTimestamp

    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, ByteDescriptor):
        return f"{value.readable or _human_bytes(value.value)} ({value.value:,} bytes)"
    if isinstance(value, GroupedTimestamp):
        return value.value.isoformat()
    if hasattr(value, "model_dump"):
        data = value.model_dump(mode="json", exclude_none=True, by_alias=True)
        return ", ".join(f"{key}={_plain(item)}" for key, item in data.items()) or MISSING
    return _plain(value)


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}={_plain(item)}" for key, item in value.items()) + "}"
    return str(value)


def html_fields(model: WireModel) -> str:
    """A two-column field/value ``<table>`` of one model; every value is escaped."""
    parts: List[str] = [f'<table class="pieces-os-model" style="{_TABLE_STYLE}">']
    name = model.__dict__.get("name")
    title = "Model" if name is None else f"Model {name}"
    parts.append(f'<caption style="{_CAPTION_STYLE}">{html.escape(title)}</caption>')
    head = f"{_TEXT_STYLE}; {_HEAD_STYLE}"
    parts.append(
        f'<thead><tr><th style="{head}">field</th><th style="{head}">value</th></tr></thead><tbody>'
    )
    for number, (name, text) in enumerate(field_rows(model)):
        cell = html.escape(text)
        if name == "id":
            cell = f'<code style="{_ID_STYLE}">{cell}</code>'
        parts.append(
            (f'<tr style="{_STRIPE}">' if number % 2 else "<tr>")
            + f'<th style="{_TEXT_STYLE}">{html.escape(name)}</th>'
            f'<td style="{_TEXT_STYLE}">{cell}</td></tr>'
        )
    parts.append("</tbody></table>")
    return "".join(parts)
