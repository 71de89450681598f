"""What an entry of the operations table is: :class:`Operation` (one operation of Pieces OS)
and :class:`ApiClass` (one public API class). The table itself is
:mod:`~pieces_os_client._core.operations`, which re-exports both."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Dict, Generic, Optional, Tuple, Type, TypeVar

if TYPE_CHECKING:
    from pieces_os_client.models._base import WireModel

T = TypeVar("T")

__all__ = ["TEXT", "ApiClass", "Operation", "model_class"]

#: The ``returns`` of an operation whose answer (or each message) is ``text/plain``: the body
#: decoded as UTF-8 (bad bytes replaced), a ``str`` as in 5.0.1.
TEXT = "str"


@dataclass(frozen=True)
class Operation(Generic[T]):
    """One operation: what is sent, what comes back, and how it is documented.

    ``returns`` and ``body_type`` name classes of :mod:`pieces_os_client.models`, imported on
    first use (so importing an API class loads no model). ``T`` is what the plain method returns.

    Example::

        >>> from pieces_os_client._core.operations import by_name
        >>> op = by_name("models_delete_specific_model")
        >>> op.method, op.path, op.path_params, op.success_status
        ('POST', '/models/{model}/delete', ('model',), 204)
    """

    #: The Python method name (5.0.1's): ``models_snapshot``.
    name: str
    #: Pieces OS's own ``operationId``: ``models-snapshot``.
    operation_id: str
    #: The public class it belongs to: ``ModelsApi``, ``ModelApi`` or ``WellKnownApi``.
    api: str
    method: str
    #: The path, parameters in braces: ``/models/{model}/delete``.
    path: str
    #: One line: what it does (the docstring's first line and the OpenAPI summary).
    summary: str
    #: What a 2xx body is parsed into (each message, for a stream): a model's name, :data:`TEXT`
    #: for plain text, or None when there is no body.
    returns: Optional[str] = None
    #: Path parameters, in the order the methods take them (each a required string id).
    path_params: Tuple[str, ...] = ()
    #: The body's parameter name and its model (every body of Pieces OS is optional).
    body_param: Optional[str] = None
    body_type: Optional[str] = None
    success_status: int = 200
    #: Error statuses Pieces OS documents for it, each with a ``text/plain`` body.
    error_statuses: Tuple[int, ...] = (500,)
    #: A WebSocket (``GET`` upgraded to 101): ``returns`` is the type of each message.
    stream: bool = False
    #: Sends the configured API key (``X-Application-ID``). Pieces OS's well-known endpoints
    #: need none (``security: []`` in its document; 5.0.1 sends none there).
    secured: bool = True
    #: More documentation, after the summary (reStructuredText, as docstrings are).
    doc: str = ""
    #: One or two lines of code that call it on ``api`` (rendered as the docstring's example).
    example: str = ""
    #: What the success answer is (the OpenAPI response's description).
    answer: str = ""
    #: What the body carries (the OpenAPI request body's description).
    body_doc: str = ""
    _segments: Tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # "/models/{model}/delete" -> ("/models/", "model", "/delete"): literals and names alternate.
        pieces = []
        rest = self.path
        for name in self.path_params:
            head, marker, rest = rest.partition("{" + name + "}")
            if not marker:
                raise ValueError(f"{self.name}: path {self.path!r} has no {{{name}}}")
            pieces += [head, name]
        object.__setattr__(self, "_segments", (*pieces, rest))

    @cached_property
    def response_model(self) -> Optional[Type[Any]]:
        """The class of ``returns`` (imported here the first time); ``str`` for text."""
        return model_class(self.returns)

    @property
    def text(self) -> bool:
        """True when the answer (each message, for a stream) is ``text/plain``."""
        return self.returns == TEXT

    @property
    def accept(self) -> str:
        """The ``Accept`` header sent: what the answer is (5.0.1 sends the same)."""
        return "text/plain" if self.text else "application/json"

    @cached_property
    def body_model(self) -> Optional[Type[WireModel]]:
        """The class of ``body_type`` (imported here the first time)."""
        return model_class(self.body_type)

    @property
    def response_types_map(self) -> Dict[str, Optional[str]]:
        """The published SDK's ``{"200": "Model", "500": "str"}`` form."""
        types: Dict[str, Optional[str]] = {str(self.success_status): self.returns}
        types.update({str(status): "str" for status in self.error_statuses})
        return types

    def expand(self, encoded: Dict[str, str]) -> str:
        """The path with each parameter replaced by its (already encoded) value."""
        segments = self._segments
        if len(segments) == 1:
            return segments[0]
        parts = list(segments)
        for index in range(1, len(parts), 2):
            parts[index] = encoded[parts[index]]
        return "".join(parts)


def model_class(name: Optional[str]) -> Optional[Type[Any]]:
    """The model class called ``name`` (from :mod:`pieces_os_client.models`), ``str`` for
    :data:`TEXT`, or None."""
    if name is None:
        return None
    if name == TEXT:
        return str
    from pieces_os_client import models

    found: Type[Any] = getattr(models, name)
    return found


@dataclass(frozen=True)
class ApiClass:
    """One public API class: its name, its async twin's, and its documentation."""

    name: str
    #: The module it is generated into, under ``api/`` and ``aio/``: ``models_api``.
    module: str
    #: Pieces OS's tag for its operations.
    tag: str
    summary: str
    doc: str = ""
    #: Hand-written methods beside the generated ones (a mixin class in ``api/_extras.py`` and
    #: ``aio/_extras.py``), e.g. ``models_watch``; the plain base (``SyncApi``) when there are
    #: none.
    extras: str = "SyncApi"
    #: The class docstring's example (a doctest against ``LocalPiecesOS``).
    example: str = ""
    #: One call the async class's example awaits and prints.
    async_example: str = ""

    @property
    def async_name(self) -> str:
        return f"Async{self.name}"

    @property
    def async_extras(self) -> str:
        """The async twin of :attr:`extras` (``AsyncApi`` for ``SyncApi``)."""
        return "AsyncApi" if self.extras == "SyncApi" else f"Async{self.extras}"
