"""How ``Models`` and ``Model`` look and behave in a notebook: HTML tables, short reprs, and
a list-like ``Models`` (len, iteration, indexing, lookups). HTML is parsed, never compared as a
string, so the tests pin what a reader sees rather than the markup's spelling."""

from __future__ import annotations

import copy
import pickle
from html.parser import HTMLParser
from typing import Any, Dict, List, Optional, Tuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pieces_os_client import ApiKeyError, Model, Models, ModelsApi
from pieces_os_client.models._display import HTML_COLUMNS, HTML_WIDE_COLUMNS

#: ``to_html()``'s columns: what fits 1,000 px.
COLUMNS = ["name", "id", "version", "location", "loaded", "size", "usage", "provider"]
#: ``to_html(wide=True)``'s: every column.
WIDE_COLUMNS = [
    "name",
    "id",
    "version",
    "location",
    "downloaded",
    "loaded",
    "size",
    "usage",
    "provider",
    "foundation",
    "created",
]
NBSP = "\N{NO-BREAK SPACE}"


def make_model(**fields: Any) -> Dict[str, Any]:
    data: Dict[str, Any] = {
        "id": "m1",
        "name": "Phi-3",
        "version": "3",
        "cloud": False,
        "type": "SPEED",
        "usage": "CODE_CONVERSATION",
        "created": {"value": "2024-05-01T12:00:00Z"},
    }
    data.update(fields)
    return data


def snapshot_of(*models: Dict[str, Any], **extra: Any) -> Models:
    return Models.from_dict({"iterable": list(models), **extra})


class _Table(HTMLParser):
    """Collects a rendered table: caption, header cells, body rows (th and td cells alike),
    each cell's style, every tag."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: List[str] = []
        self.caption: Optional[str] = None
        self.headers: List[str] = []
        self.rows: List[List[str]] = []
        self.styles: List[List[str]] = []  # the style of each body cell
        self.header_styles: List[str] = []
        self.code_cells: List[str] = []  # text inside <code> (the copyable id)
        self._cell: Optional[List[str]] = None
        self._code: Optional[List[str]] = None
        self._in_caption = False
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: List[Tuple[str, Optional[str]]]) -> None:
        self.tags.append(tag)
        style = dict(attrs).get("style") or ""
        if tag == "caption":
            self._in_caption = True
            self.caption = ""
        elif tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
            self.styles.append([])
        elif tag in ("td", "th"):
            self._cell = []
            (self.styles[-1] if self._in_body else self.header_styles).append(style)
        elif tag == "code":
            self._code = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "caption":
            self._in_caption = False
        elif tag == "code" and self._code is not None:
            self.code_cells.append("".join(self._code))
            self._code = None
        elif tag in ("td", "th") and self._cell is not None:
            text = "".join(self._cell)
            (self.rows[-1] if self._in_body else self.headers).append(text)
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._code is not None:
            self._code.append(data)
        if self._cell is not None:
            self._cell.append(data)
        elif self._in_caption:
            self.caption = (self.caption or "") + data


def parse(markup: str) -> _Table:
    table = _Table()
    table.feed(markup)
    table.close()
    return table


# --- HTML ------------------------------------------------------------------------------------
def test_models_html_has_a_header_and_one_row_per_model_with_the_values() -> None:
    snapshot = snapshot_of(
        make_model(
            id="a",
            name="Llama 3",
            provider="META",
            foundation="LLAMA_3_8B",
            downloaded=True,
            loaded=False,
            bytes={"value": 4_900_000_000, "readable": "4.9 GB"},
        ),
        make_model(id="b", name="GPT-4o", cloud=True, provider="OPENAI", version="2024-08-06"),
    )
    assert parse(snapshot._repr_html_()).headers == COLUMNS == list(HTML_COLUMNS)
    table = parse(snapshot.to_html(wide=True))

    assert table.headers == WIDE_COLUMNS == list(HTML_WIDE_COLUMNS)
    assert table.caption == "2 models: 1 local, 1 cloud; 0 loaded"
    assert table.rows == [
        [
            "Llama 3",
            "a",
            "3",
            "local",
            "yes",
            "no",
            f"4.9{NBSP}GB",  # a size never wraps between number and unit
            "CODE_CONVERSATION",
            "META",
            "LLAMA_3_8B",
            "2024-05-01",
        ],
        [
            "GPT-4o",
            "b",
            "2024-08-06",
            "cloud",
            "-",
            "-",
            "-",
            "CODE_CONVERSATION",
            "OPENAI",
            "-",
            "2024-05-01",
        ],
    ]
    # The id is visible text inside <code>, so it can be selected and copied.
    assert table.code_cells == ["a", "b"]


def test_text_is_left_aligned_and_sizes_right_aligned_without_wrapping() -> None:
    """Jupyter's stylesheet right-aligns every cell; each cell says how it wants to sit."""
    snapshot = snapshot_of(make_model(bytes={"value": 2048, "readable": "2 kB"}))
    table = parse(snapshot.to_html(wide=True))
    size, name = WIDE_COLUMNS.index("size"), WIDE_COLUMNS.index("name")
    wrapping = {name, *(WIDE_COLUMNS.index(n) for n in ("usage", "provider", "foundation"))}
    for styles in [table.header_styles, *table.styles]:
        for column, style in enumerate(styles):
            if column == size:
                assert "text-align: right" in style and "white-space: nowrap" in style
            else:
                assert "text-align: left" in style
            # Names wrap between words, enum values after an underscore (<wbr>); the rest
            # ("2024-08-06", "4.9 GB") stays on one line.
            assert ("white-space: nowrap" in style) is (column not in wrapping)


def _padding(style: str) -> List[float]:
    """The em values of a ``padding: ...`` declaration (top, right, bottom, left)."""
    declared = [part.strip() for part in style.split(";") if part.strip().startswith("padding:")]
    assert len(declared) == 1, style
    values = [float(value.rstrip("em")) for value in declared[0][len("padding:") :].split()]
    return {1: values * 4, 2: values * 2, 4: values}[len(values)]


def test_every_cell_carries_its_own_padding_and_the_table_fits_1000_px() -> None:
    """Read with no stylesheet at all (a plain page, VS Code), cells still stand apart: each
    one has its own padding; the default columns fit 1,000 px at a browser's default font.
    docs/images/ holds the screenshots of the three cases."""
    from pieces_os_client.testing import builtin_catalogue

    snapshot = Models(iterable=builtin_catalogue())
    for markup in (snapshot.to_html(), snapshot.to_html(wide=True), snapshot[0].to_html()):
        table = parse(markup)
        for style in [*table.header_styles, *(s for row in table.styles for s in row)]:
            top, right, bottom, left = _padding(style)
            assert min(left, right) >= 0.4 and min(top, bottom) > 0, style
    # Width: what the widest cell of each default column needs on one line, at 16 px (about
    # 8 px a character; an id shows 7.5em of itself; names wrap between words and enum
    # values after an underscore), with the padding, within 1,000 px.
    table = parse(snapshot.to_html())
    markup = snapshot.to_html()
    assert "max-width: 7.5em" in markup and "text-overflow: ellipsis" in markup
    assert markup.count("<wbr>") > 0
    needed = 0.0
    for column, header in enumerate(table.headers):
        cells = [header, *(row[column] for row in table.rows)]
        if header == "id":
            width = 7.5 * 16 * 0.8  # a <code> element's monospace font is 13 px
        elif header in ("name", "usage", "provider"):
            pieces = [p for cell in cells for p in cell.replace("_", "_ ").split()]
            width = 8.0 * max(len(piece) for piece in pieces)
        else:
            width = 8.0 * max(len(cell) for cell in cells)
        needed += width + 2 * 0.5 * 16
    assert needed <= 1000, needed


def test_one_model_is_a_field_value_table() -> None:
    model = Model.from_dict(
        make_model(name="Solo", bytes={"value": 2048, "readable": ""}, provider="META")
    )
    table = parse(model._repr_html_())
    assert table.headers == ["field", "value"]
    assert table.caption == "Model Solo"
    fields = dict(table.rows)  # type: ignore[arg-type]
    assert [row[0] for row in table.rows[:3]] == ["id", "name", "version"]
    assert fields["id"] == "m1" and table.code_cells == ["m1"]
    assert fields["provider"] == "META"
    assert fields["bytes"] == "2.0 kB (2,048 bytes)"
    assert fields["created"] == "2024-05-01T12:00:00+00:00"
    assert fields["cloud"] == "no"
    assert "foundation" not in fields  # fields without a value are left out
    assert all("text-align: left" in style for row in table.styles for style in row)


def test_values_a_newer_server_sends_render_as_their_text() -> None:
    model = Model.from_dict(make_model(usage="TIME_TRAVEL", provider="NEWCO", foundation="NEXT"))
    cells = parse(snapshot_of(model.to_dict()).to_html(wide=True)).rows[0]
    assert cells[7:10] == ["TIME_TRAVEL", "NEWCO", "NEXT"]
    fields = dict(parse(model._repr_html_()).rows)  # type: ignore[arg-type]
    assert (fields["usage"], fields["provider"]) == ("TIME_TRAVEL", "NEWCO")


def test_an_empty_snapshot_renders_the_header_and_no_rows() -> None:
    table = parse(Models(iterable=[])._repr_html_())
    assert table.headers == COLUMNS
    assert table.rows == []
    assert table.caption == "0 models: 0 local, 0 cloud; 0 loaded"


_ALLOWED_TAGS = {"table", "caption", "thead", "tbody", "tr", "th", "td", "code", "wbr"}


@settings(max_examples=200, deadline=None)
@given(
    name=st.text(max_size=40),
    model_id=st.text(min_size=1, max_size=20),
    readable=st.text(max_size=10),
    provider=st.text(min_size=1, max_size=12),
)
def test_every_value_is_escaped_and_reads_back_unchanged(
    name: str, model_id: str, readable: str, provider: str
) -> None:
    model = Model.from_dict(
        make_model(
            id=model_id, name=name, provider=provider, bytes={"value": 1, "readable": readable}
        )
    )
    table = parse(Models(iterable=[model, model])._repr_html_())

    assert set(table.tags) <= _ALLOWED_TAGS  # no markup can come from a value
    assert len(table.rows) == 2
    cells = table.rows[0]
    assert cells[0] == name
    assert cells[1] == model_id == table.code_cells[0]
    assert cells[COLUMNS.index("provider")] == provider
    assert cells[COLUMNS.index("size")] == (readable or "1 B").replace(" ", NBSP)

    fields = parse(model._repr_html_())
    assert set(fields.tags) <= _ALLOWED_TAGS
    assert dict(fields.rows)["name"] == name  # type: ignore[arg-type]


def test_markup_in_a_name_is_shown_as_text() -> None:
    name = '<script>alert("x")</script> & <b>bold</b>'
    model = Model.from_dict(make_model(name=name, id='"><img src=x>'))
    for markup in (model._repr_html_(), snapshot_of(model.to_dict())._repr_html_()):
        table = parse(markup)
        assert "script" not in table.tags and "img" not in table.tags and "b" not in table.tags
        assert table.code_cells == ['"><img src=x>']
        assert name in table.rows[0] or ["name", name] in table.rows


def test_a_live_snapshot_renders_every_model(local_pieces_os: Any) -> None:
    with local_pieces_os.client() as api_client:
        snapshot = ModelsApi(api_client).models_snapshot()
    table = parse(snapshot._repr_html_())
    assert table.code_cells == [m.id for m in local_pieces_os.models()]
    assert [cells[0] for cells in table.rows] == [m.name for m in local_pieces_os.models()]


def test_print_of_a_snapshot_is_a_readable_summary(local_pieces_os: Any) -> None:
    with local_pieces_os.client() as api_client:
        snapshot = ModelsApi(api_client).models_snapshot()
    lines = str(snapshot).splitlines()
    local = sum(1 for m in snapshot if not m.cloud)
    loaded = sum(1 for m in snapshot if m.loaded)
    assert lines[0] == (
        f"Models: {len(snapshot)} models: {local} local, {len(snapshot) - local} cloud; "
        f"{loaded} loaded"
    )
    assert lines[1].split() == ["ID", "NAME", "LOCATION", "LOADED", "SIZE", "USAGE"]
    assert len(lines) == 2 + len(snapshot)  # one line per model
    for line, model in zip(lines[2:], snapshot):
        assert line.startswith(model.id + "  ") and model.name in line
    assert max(len(line) for line in lines) <= 120


# --- repr ----------------------------------------------------------------------------------------
def test_model_repr_is_short_and_names_id_name_usage() -> None:
    model = Model.from_dict(
        make_model(id="abc", name="Phi-3", bytes={"value": 1, "readable": "1 B"})
    )
    assert repr(model) == "Model(id='abc', name='Phi-3', usage='CODE_CONVERSATION')"
    # str() (print) shows every field with a value, one per line.
    lines = [line.split() for line in str(model).splitlines()]
    assert lines[:3] == [["id", "abc"], ["name", "Phi-3"], ["version", "3"]]
    assert ["bytes", "1", "B", "(1", "bytes)"] in lines


def test_models_repr_counts_models() -> None:
    assert repr(Models(iterable=[])) == "Models(0 models)"
    assert repr(snapshot_of(make_model())) == "Models(1 model)"
    many = snapshot_of(*(make_model(id=str(i)) for i in range(500)))
    assert repr(many) == "Models(500 models)"


def test_repr_str_and_html_of_an_unvalidated_model_do_not_raise() -> None:
    assert repr(Model.model_construct()) == "Model(id=None, name=None, usage=None)"
    assert repr(Models.model_construct()) == "Models(0 models)"
    assert str(Model.model_construct()) == ""
    assert parse(Model.model_construct()._repr_html_()).caption == "Model"
    assert str(Models.model_construct()).startswith("Models: 0 models: ")
    assert parse(Models.model_construct()._repr_html_()).rows == []


# --- Models as a sequence ----------------------------------------------------------------------
@pytest.fixture
def three() -> Models:
    return snapshot_of(
        make_model(id="a", name="Llama 3"),
        make_model(id="b", name="GPT-4o"),
        make_model(id="c", name="llama 3", version="3.1"),
        score={"manual": 1, "automatic": 2},
    )


def test_len_iteration_and_indexing(three: Models) -> None:
    assert len(three) == 3
    assert [m.id for m in three] == ["a", "b", "c"]
    assert list(three) == three.iterable
    assert three[0].id == "a" and three[-1].id == "c"
    assert [m.id for m in reversed(three)] == ["c", "b", "a"]
    assert three[1] in three
    with pytest.raises(IndexError):
        three[3]


def test_a_slice_is_a_models_that_keeps_the_other_fields(three: Models) -> None:
    head = three[:2]
    assert isinstance(head, Models)
    assert [m.id for m in head] == ["a", "b"]
    assert head.score == three.score
    assert [m.id for m in three[::-1]] == ["c", "b", "a"]
    assert len(three) == 3  # slicing copies; the original is untouched
    assert parse(head._repr_html_()).caption == "2 models: 2 local, 0 cloud; 0 loaded"


def test_indexing_by_id_points_to_the_lookup_methods(three: Models) -> None:
    with pytest.raises(TypeError, match="get_by_id"):
        three["a"]  # type: ignore[call-overload]


def test_an_empty_snapshot_has_no_length_but_stays_truthy_as_in_the_published_sdk() -> None:
    empty = Models(iterable=[])
    assert len(empty) == 0 and list(empty) == []
    assert empty  # `if snapshot:` keeps meaning "we got an answer"


def test_get_and_get_by_id_match_ids_exactly(three: Models) -> None:
    assert three.get("b") is three.iterable[1]
    assert three.get_by_id("b") is three.iterable[1]
    assert three.get("B") is None  # ids are case-sensitive
    assert three.get("zzz") is None
    with pytest.raises(KeyError, match="zzz"):
        three.get_by_id("zzz")
    with pytest.raises(ApiKeyError):
        three.get_by_id("zzz")


def test_find_by_name_ignores_case_and_returns_a_models_of_every_match(three: Models) -> None:
    llamas = three.find_by_name("LLAMA 3")
    assert isinstance(llamas, Models) and [m.id for m in llamas] == ["a", "c"]
    assert llamas.score == three.score
    assert [m.id for m in three.find_by_name("gpt-4o")] == ["b"]
    none = three.find_by_name("Llama")  # whole names only
    assert isinstance(none, Models) and len(none) == 0
    assert parse(llamas._repr_html_()).code_cells == ["a", "c"]  # shown as a table


def test_find_filters_by_fields_and_by_a_function(three: Models) -> None:
    assert [m.id for m in three.find(version="3")] == ["a", "b"]
    assert [m.id for m in three.find(usage="CODE_CONVERSATION", cloud=False)] == ["a", "b", "c"]
    assert [m.id for m in three.find(lambda m: m.name.startswith("GPT"))] == ["b"]
    assert [m.id for m in three.find(lambda m: m.id != "a", version="3")] == ["b"]
    assert [m.id for m in three.find()] == ["a", "b", "c"]
    assert isinstance(three.find(loaded=True), Models) and len(three.find(loaded=True)) == 0


def test_find_explains_a_wrong_argument_before_looking(three: Models) -> None:
    with pytest.raises(TypeError, match=r"get\(id\)"):
        three.find("a")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="colour") as raised:
        three.find(colour="red")
    assert "usage" in str(raised.value)  # lists the fields it can filter on


# --- pydantic keeps working ------------------------------------------------------------------------
def test_pydantic_equality_copy_pickle_and_serialization_still_work(three: Models) -> None:
    assert copy.copy(three) == three
    assert copy.deepcopy(three) == three
    assert pickle.loads(pickle.dumps(three)) == three
    assert three.model_copy() == three
    assert Models.from_json(three.to_json()) == three
    assert [m["id"] for m in three.model_dump()["iterable"]] == ["a", "b", "c"]
    assert three != three[:2]
    # Model keeps pydantic's own field iteration.
    assert dict(three[0])["name"] == "Llama 3"
