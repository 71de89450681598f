"""Every operation of the SDK, declared once: the table the rest is produced from.

Each :class:`Operation` says everything there is to know about one operation of Pieces OS:
its method and path, path parameters, body, answer, success and error statuses, whether it is
a WebSocket, and the words its documentation uses. From this table:

- ``tools/generate.py`` writes the public classes (``api/models_api.py``, ``api/model_api.py``,
  ``api/well_known_api.py`` and their async twins under ``aio/``), each method a one-line call
  into the shared request path, and the ``paths`` of ``docs/openapi.yaml``; a test fails when a generated file is not
  what the table gives (``nox -s generate`` rewrites them);
- :func:`~pieces_os_client._core.endpoint.prepare` and
  :func:`~pieces_os_client._core.endpoint.interpret` build each request and read each answer;
- the WebSocket front ends open any stream operation, its messages parsed into ``returns``;
- ``LocalPiecesOS`` routes every request by the same table.

A new operation is one ``Operation(...)`` here, a handler in ``LocalPiecesOS`` and a rerun of
the generator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Dict, Generic, Optional, Tuple, Type, TypeVar

if TYPE_CHECKING:
    from pieces_os_client.models._base import WireModel

T = TypeVar("T")

__all__ = ["APIS", "OPERATIONS", "TEXT", "ApiClass", "Operation", "by_name"]

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


APIS: Tuple[ApiClass, ...] = (
    ApiClass(
        "ModelsApi",
        "models_api",
        "Models",
        "The Models API of Pieces OS: every model at once.",
        doc="List the models, register a custom one, delete one or its downloaded cache, unload "
        "every model, and follow the models as they change (a WebSocket).",
        extras="ModelsApiExtras",
        example=">>> from pieces_os_client import ModelsApi\n"
        ">>> from pieces_os_client.testing import LocalPiecesOS\n"
        ">>> with LocalPiecesOS() as server, server.client() as api_client:\n"
        "...     snapshot = ModelsApi(api_client).models_snapshot()\n"
        ">>> len(snapshot.iterable) > 0\n"
        "True\n",
        async_example="models_snapshot()",
    ),
    ApiClass(
        "ModelApi",
        "model_api",
        "Model",
        "The Model API of Pieces OS: one model at a time.",
        doc="Get one model, download it (and follow or cancel the download), load it into "
        "memory and unload it, update a custom model, count its use.",
        extras="ModelApiExtras",
        example=">>> from pieces_os_client import ModelApi\n"
        ">>> from pieces_os_client.testing import LocalPiecesOS, builtin_id\n"
        ">>> with LocalPiecesOS() as server, server.client() as api_client:\n"
        "...     model = ModelApi(api_client).models_specific_model_snapshot(builtin_id('gpt-4o'))\n"
        ">>> model.name\n"
        "'GPT-4o'\n",
        async_example="models_specific_model_snapshot('<model id>')",
    ),
    ApiClass(
        "WellKnownApi",
        "well_known_api",
        "WellKnown",
        "Pieces OS's well-known endpoints: health, version, installation path.",
        doc="What a client asks first: the health check, the version of Pieces OS, its "
        "installation path, and the health as a stream (a WebSocket). Every answer is plain "
        "text, returned as a ``str``.",
        example=">>> from pieces_os_client import WellKnownApi\n"
        ">>> from pieces_os_client.testing import LocalPiecesOS\n"
        ">>> with LocalPiecesOS(version='11.2.0') as server, server.client() as api_client:\n"
        "...     version = WellKnownApi(api_client).get_well_known_version()\n"
        ">>> version\n"
        "'11.2.0'\n",
        async_example="get_well_known_version()",
    ),
)

#: A Model API operation on an unknown id is refused as ``GET /model/{model}`` documents (410,
#: ``NotFoundException``); any other failure is Pieces OS's usual 500.
_UNKNOWN_ID_OR_FAILED = (410, 500)

OPERATIONS: Tuple[Operation[Any], ...] = (
    # --- the Models API ----------------------------------------------------------------------
    Operation(
        "models_snapshot",
        "models-snapshot",
        "ModelsApi",
        "GET",
        "/models",
        "Every model Pieces OS knows.",
        returns="Models",
        example="snapshot = api.models_snapshot()\nprint(len(snapshot.iterable), 'models')",
        answer="The snapshot: local and cloud models, custom ones included.",
    ),
    Operation(
        "models_create_new_model",
        "models-create-new-model",
        "ModelsApi",
        "POST",
        "/models/create",
        "Register a custom model.",
        returns="Model",
        body_param="seeded_model",
        body_type="SeededModel",
        doc="Pieces OS marks it ``custom`` and returns the existing model instead of creating a "
        "duplicate.",
        example="model = api.models_create_new_model(seeded_model)\nprint(model.id, model.custom)",
        answer="The model as Pieces OS stored it.",
        body_doc="The model to register.",
    ),
    Operation(
        "models_delete_specific_model",
        "models-delete-specific-model",
        "ModelsApi",
        "POST",
        "/models/{model}/delete",
        "Delete a custom model; built-in models refuse.",
        path_params=("model",),
        success_status=204,
        example="api.models_delete_specific_model(model.id)  # None: 204 has no body",
        answer="The model was deleted.",
    ),
    Operation(
        "models_delete_specific_model_cache",
        "models-delete-specific-model-cache",
        "ModelsApi",
        "POST",
        "/models/{model}/delete/cache",
        "Delete what an LLM model downloaded.",
        returns="ModelDeleteCacheOutput",
        path_params=("model",),
        body_param="model_delete_cache_input",
        body_type="ModelDeleteCacheInput",
        example="output = api.models_delete_specific_model_cache(model.id)\nprint(output.model.id)",
        answer="Which model's cache was cleared.",
        body_doc="Optional; carries only the schema stamp.",
    ),
    Operation(
        "unload_models",
        "unload-models",
        "ModelsApi",
        "POST",
        "/models/unload",
        "Unload every loaded model from memory.",
        success_status=204,
        example="api.unload_models()",
        answer="Every model was unloaded.",
    ),
    Operation(
        "models_stream_identifiers",
        "models-stream-identifiers",
        "ModelsApi",
        "GET",
        "/models/stream/identifiers",
        "Follow the models: a WebSocket of ``StreamedIdentifiers``.",
        returns="StreamedIdentifiers",
        success_status=101,
        stream=True,
        doc="The first message lists every model id, each later one the models that changed "
        "(``deleted`` set for a removed one).",
        example="with api.models_stream_identifiers() as stream:\n"
        "    print(len(next(stream).iterable), 'models')",
        answer="The upgrade; then one message per change.",
    ),
    # --- the Model API -----------------------------------------------------------------------
    Operation(
        "models_specific_model_snapshot",
        "models-specific-model-snapshot",
        "ModelApi",
        "GET",
        "/model/{model}",
        "One model, by id.",
        returns="Model",
        path_params=("model",),
        error_statuses=(410,),
        doc="An unknown id is answered 410 Gone, raised as ``NotFoundException`` (status 410).",
        example="model = api.models_specific_model_snapshot(model_id)\nprint(model.name)",
        answer="The model.",
    ),
    Operation(
        "model_specific_model_download",
        "model-specific-model-download",
        "ModelApi",
        "POST",
        "/model/{model}/download",
        "Start downloading a model to this machine.",
        returns="Model",
        path_params=("model",),
        error_statuses=_UNKNOWN_ID_OR_FAILED,
        doc="Answers at once with the ``Model``; the transfer goes on inside Pieces OS and its "
        "progress is on ``model_specific_model_download_progress``. To download and wait, with "
        "progress, stall detection and cancellation, use :meth:`download`.",
        example="model = api.model_specific_model_download(model_id)\nprint(model.downloading)",
        answer="The model, its download started (``downloading`` set).",
    ),
    Operation(
        "model_specific_model_download_cancel",
        "model-specific-model-download-cancel",
        "ModelApi",
        "POST",
        "/model/{model}/download/cancel",
        "Cancel a model's download that is in progress.",
        returns="Model",
        path_params=("model",),
        error_statuses=_UNKNOWN_ID_OR_FAILED,
        example="model = api.model_specific_model_download_cancel(model_id)",
        answer="The model, its download stopped.",
    ),
    Operation(
        "model_specific_model_download_progress",
        "model-specific-model-download-progress",
        "ModelApi",
        "GET",
        "/model/{model}/download/progress",
        "Follow a model's download: a WebSocket of ``ModelDownloadProgress``.",
        returns="ModelDownloadProgress",
        path_params=("model",),
        error_statuses=_UNKNOWN_ID_OR_FAILED,
        success_status=101,
        stream=True,
        doc="Each message has a ``status`` (``IN-PROGRESS``, ``COMPLETED``, ``FAILED``...) and, "
        "while in progress, a ``percentage``. :meth:`download_events` follows it to the end.",
        example="with api.model_specific_model_download_progress(model_id) as progress:\n"
        "    print(next(progress).status)",
        answer="The upgrade; then one message per step of the download.",
    ),
    Operation(
        "model_specific_model_load",
        "model-specific-model-load",
        "ModelApi",
        "POST",
        "/model/{model}/load",
        "Load a downloaded model into memory.",
        returns="Model",
        path_params=("model",),
        error_statuses=_UNKNOWN_ID_OR_FAILED,
        example="model = api.model_specific_model_load(model_id)\nprint(model.loaded)",
        answer="The model, in memory (``loaded`` set).",
    ),
    Operation(
        "model_specific_model_unload",
        "model-specific-model-unload",
        "ModelApi",
        "POST",
        "/model/{model}/unload",
        "Unload a model from memory (its files stay).",
        returns="Model",
        path_params=("model",),
        error_statuses=_UNKNOWN_ID_OR_FAILED,
        example="model = api.model_specific_model_unload(model_id)\nprint(model.loaded)",
        answer="The model, out of memory.",
    ),
    Operation(
        "model_update",
        "model-update",
        "ModelApi",
        "POST",
        "/model/update",
        "Update a custom model (models with ``custom: true`` only).",
        returns="Model",
        body_param="model",
        body_type="Model",
        error_statuses=_UNKNOWN_ID_OR_FAILED,
        example="model.description = 'fine-tuned on our code'\nmodel = api.model_update(model=model)",
        answer="The model as Pieces OS stored it.",
        body_doc="The custom model, changed.",
    ),
    Operation(
        "model_scores_increment",
        "model-scores-increment",
        "ModelApi",
        "POST",
        "/model/{model}/scores/increment",
        "Count a use of a model (its scores).",
        path_params=("model",),
        error_statuses=_UNKNOWN_ID_OR_FAILED,
        body_param="seeded_score_increment",
        body_type="SeededScoreIncrement",
        success_status=204,
        example="api.model_scores_increment(\n"
        "    model_id, SeededScoreIncrement(model=SeededScore(reuse=True))\n)",
        answer="The use was counted.",
        body_doc="Which kind of use to count: one ``SeededScore`` flag.",
    ),
    # --- the well-known operations: no parameters, text answers -------------------------------
    Operation(
        "get_well_known_health",
        "get-well-known-health",
        "WellKnownApi",
        "GET",
        "/.well-known/health",
        "The health status of Pieces OS, as text.",
        returns=TEXT,
        error_statuses=(),
        secured=False,
        doc="A running Pieces OS answers a text that starts with ``ok`` (Pieces' own client "
        "reads any case as running).",
        example="health = api.get_well_known_health()\nprint(health.lower().startswith('ok'))",
        answer="The health status, one line of text (`ok` when running).",
    ),
    Operation(
        "get_well_known_version",
        "get-well-known-version",
        "WellKnownApi",
        "GET",
        "/.well-known/version",
        "The version of Pieces OS, as text.",
        returns=TEXT,
        error_statuses=(),
        secured=False,
        doc="``MAJOR.MINOR.PATCH``, possibly with a pre-release suffix (``11.2.0``, "
        "``12.0.0-beta.1``).",
        example="version = api.get_well_known_version()\nprint(version)",
        answer="The version, e.g. `11.2.0`.",
    ),
    Operation(
        "get_installation_path",
        "get-installation-path",
        "WellKnownApi",
        "GET",
        "/.well-known/installation/path",
        "Where Pieces OS is installed on this machine, as text.",
        returns=TEXT,
        error_statuses=(),
        secured=False,
        example="path = api.get_installation_path()\nprint(path)",
        answer="The installation path of Pieces OS.",
    ),
    Operation(
        "get_well_known_stream_health",
        "get-well-known-stream-health",
        "WellKnownApi",
        "GET",
        "/.well-known/stream/health",
        "Follow the health of Pieces OS: a WebSocket of text messages.",
        returns=TEXT,
        success_status=101,
        stream=True,
        secured=False,
        doc="Each message is the health status (``ok`` when running); the stream ends when "
        "Pieces OS stops.",
        example="with api.get_well_known_stream_health() as health:\n    print(next(health))",
        answer="The upgrade; then one text message per health status.",
    ),
)

_BY_NAME: Dict[str, Operation[Any]] = {op.name: op for op in OPERATIONS}


def by_name(name: str) -> Operation[Any]:
    """The operation whose method is called ``name``."""
    return _BY_NAME[name]
