"""``Models``: A snapshot of every machine-learning model Pieces OS knows (``GET /models``)"""

from typing import Callable, Iterable, Iterator, List, Optional, SupportsIndex, Union, overload

from pydantic import Field

from pieces_os_client._display.text import text_summary
from pieces_os_client.models._base import WireModel
from pieces_os_client.models._display import html_table, summary_line
from pieces_os_client.models.embedded_model_schema import EmbeddedModelSchema
from pieces_os_client.models.model import Model
from pieces_os_client.models.score import Score


class Models(WireModel):
    """A snapshot of every machine-learning model Pieces OS knows (``GET /models``).

    Example::

        >>> from pieces_os_client.models import Models
        >>> snapshot = Models.from_json('{"iterable": []}')
        >>> len(snapshot.iterable)
        0
    """

    iterable: List[Model]
    var_schema: Optional[EmbeddedModelSchema] = Field(default=None, alias="schema")
    score: Optional[Score] = None

    # --- a read-only, list-like view of ``iterable`` (methods only; fields unchanged) --------
    def __len__(self) -> int:
        """How many models the snapshot holds."""
        return len(self.iterable)

    def __bool__(self) -> bool:
        # A snapshot is always truthy, as in the published SDK, even with no models in it:
        # ``if snapshot:`` keeps meaning "we got an answer".
        return True

    def __iter__(self) -> Iterator[Model]:  # type: ignore[override]
        """Iterate over the models (not over ``(field, value)`` pairs as a plain pydantic
        model does: use ``to_dict()`` or ``model_dump()`` for the fields)."""
        return iter(self.iterable)

    @overload
    def __getitem__(self, index: SupportsIndex) -> Model: ...

    @overload
    def __getitem__(self, index: slice) -> "Models": ...

    def __getitem__(self, index: Union[SupportsIndex, slice]) -> Union[Model, "Models"]:
        """``snapshot[0]`` is a :class:`Model`; ``snapshot[:5]`` a new ``Models`` (which a
        notebook still shows as a table). Look models up by id with :meth:`get_by_id`."""
        if isinstance(index, slice):
            return self.model_copy(update={"iterable": self.iterable[index]})
        if isinstance(index, str):
            raise TypeError(
                "Models indices are positions or slices; use get(id), get_by_id(id) or "
                "find_by_name(name)"
            )
        return self.iterable[index]

    def get(self, id: str) -> Optional[Model]:
        """The model whose ``id`` is exactly ``id`` (ids are case-sensitive), or None.

        Example::

            >>> from pieces_os_client.models import Models
            >>> snapshot = Models.from_dict({"iterable": [{"id": "m1", "name": "Phi-3",
            ...     "version": "3", "cloud": False, "type": "SPEED", "usage": "CODE_CONVERSATION",
            ...     "created": {"value": "2024-05-01T12:00:00Z"}}]})
            >>> snapshot.get("m1").name, snapshot.get("nope")
            ('Phi-3', None)
        """
        for model in self.iterable:
            if model.id == id:
                return model
        return None

    def get_by_id(self, id: str) -> Model:
        """Like :meth:`get`, but a missing id raises ``KeyError`` (an ``ApiKeyError``)."""
        model = self.get(id)
        if model is None:
            from pieces_os_client.exceptions import ApiKeyError

            raise ApiKeyError(f"no model with id {id!r} in this snapshot of {len(self)} models")
        return model

    def find(
        self, predicate: Optional[Callable[[Model], object]] = None, /, **fields: object
    ) -> "Models":
        """The models that match, as a new ``Models`` (a table in a notebook), in order.

        ``fields`` compare with ``==`` (enums equal their string value); ``predicate`` is any
        test on a model. Both may be given; with neither, every model matches. Nothing
        matched is an empty ``Models``: test it with ``len()`` (a ``Models`` is always
        truthy, as in the published SDK).

        Example::

            >>> from pieces_os_client.models import Models
            >>> snapshot = Models.from_dict({"iterable": [{"id": "m1", "name": "Phi-3",
            ...     "version": "3", "cloud": False, "type": "SPEED", "usage": "CODE_CONVERSATION",
            ...     "created": {"value": "2024-05-01T12:00:00Z"}, "loaded": True}]})
            >>> len(snapshot.find(cloud=False, usage="CODE_CONVERSATION"))
            1
            >>> len(snapshot.find(lambda model: not model.loaded))
            0
        """
        from pieces_os_client.exceptions import ApiTypeError

        if predicate is not None and not callable(predicate):
            raise ApiTypeError(
                f"find() takes a function of a Model and/or field=value filters, not "
                f"{type(predicate).__name__} {predicate!r}; look a model up by id with "
                f"get(id) or get_by_id(id)"
            )
        unknown = sorted(set(fields) - set(Model.model_fields))
        if unknown:
            raise ApiTypeError(
                f"find() got {', '.join(unknown)}, which Model does not have; "
                f"filter on its fields: {', '.join(Model.model_fields)}"
            )
        wanted = list(fields.items())
        return self._select(
            model
            for model in self.iterable
            if all(getattr(model, name) == value for name, value in wanted)
            and (predicate is None or predicate(model))
        )

    def find_by_name(self, name: str) -> "Models":
        """Every model whose name equals ``name`` ignoring case, as a new ``Models``.

        Names are not unique (one name can come in several versions or quantizations), so
        this can match several models, or none (an empty ``Models``).

        Example::

            >>> from pieces_os_client.models import Models
            >>> snapshot = Models.from_dict({"iterable": [{"id": "m1", "name": "Phi-3",
            ...     "version": "3", "cloud": False, "type": "SPEED", "usage": "CODE_CONVERSATION",
            ...     "created": {"value": "2024-05-01T12:00:00Z"}}]})
            >>> [m.id for m in snapshot.find_by_name("phi-3")]
            ['m1']
        """
        wanted = name.casefold()
        return self._select(model for model in self.iterable if model.name.casefold() == wanted)

    def _select(self, models: Iterable[Model]) -> "Models":
        # Same schema and score as the snapshot, like a slice.
        return self.model_copy(update={"iterable": list(models)})

    # --- display -----------------------------------------------------------------------------
    def __repr__(self) -> str:
        """Short on purpose: ``Models(15 models)``."""
        count = len(self.__dict__.get("iterable") or ())
        return f"Models({count} model{'' if count == 1 else 's'})"

    def __str__(self) -> str:
        """A count line and a table, one model per line (what ``print`` shows); every field
        is in ``to_dict()`` and ``to_json()``."""
        return text_summary(self._shown())

    def to_html(self, *, wide: bool = False) -> str:
        """The HTML table Jupyter shows for a snapshot: a caption counting the models, one
        row per model, every value escaped; readable with any stylesheet or none (a page, a
        report, VS Code). The columns fit 1,000 px; ``wide=True`` adds downloaded, foundation
        and created.

        Example::

            >>> from pieces_os_client.testing import builtin_catalogue
            >>> Models(iterable=builtin_catalogue()).to_html().startswith("<table")
            True
        """
        models = self._shown()
        return html_table(models, caption=summary_line(models), wide=wide)

    def _repr_html_(self) -> str:
        return self.to_html()

    def _shown(self) -> List[Model]:
        # From __dict__, so a half-built snapshot (model_construct) still displays.
        return list(self.__dict__.get("iterable") or ())
