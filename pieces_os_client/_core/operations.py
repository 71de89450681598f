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
the generator. What an entry is (:class:`Operation`, :class:`ApiClass`) is declared in
:mod:`~pieces_os_client._core.operation_types`.
"""

from __future__ import annotations

from typing import Any, Dict, Tuple

from pieces_os_client._core.operation_types import TEXT, ApiClass, Operation

__all__ = ["APIS", "OPERATIONS", "TEXT", "ApiClass", "Operation", "by_name"]


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
