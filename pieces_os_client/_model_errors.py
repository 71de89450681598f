"""The errors about one model: no model, or several, by the name given (``ModelLookupError``),
and a download ``ModelApi.download()`` followed that did not complete (``ModelDownloadError``).
Users import them from :mod:`pieces_os_client.exceptions`, the module they say they belong to
(``__module__``), so tracebacks, pickles and ``help()`` read as before.
"""

from __future__ import annotations

from typing import Any, Sequence

from pieces_os_client._argument_errors import PUBLIC_MODULE, ApiValueError, OpenApiException

__all__ = [
    "AmbiguousModelError",
    "ModelDownloadCanceled",
    "ModelDownloadDenied",
    "ModelDownloadError",
    "ModelDownloadFailed",
    "ModelDownloadStalled",
    "ModelLookupError",
    "ModelNotFoundError",
]


class ModelLookupError(ApiValueError, LookupError):
    """The text given for a model names no model, or several (see :func:`resolve_model
    <pieces_os_client.resolve_model>`). Raised before anything but the snapshot was sent.

    ``query`` is the text as given; ``models`` the models it was looked up in.
    """

    def __init__(self, msg: str, *, query: str = "", models: Sequence[Any] = ()) -> None:
        self.query = query
        self.models = list(models)
        super().__init__(msg)

    def __reduce__(self) -> Any:
        return (_rebuild_lookup_error, (type(self), str(self), self.__dict__))


def _rebuild_lookup_error(cls: type, message: str, state: Any) -> ModelLookupError:
    error: ModelLookupError = cls(message)
    error.__dict__.update(state)
    return error


class ModelNotFoundError(ModelLookupError):
    """No model has this id, ``unique`` slug or name, and no id starts with it.

    ``suggestions`` holds the models whose names or slugs come closest (maybe none).

    Example::

        >>> from pieces_os_client import resolve_model
        >>> from pieces_os_client.testing import builtin_catalogue
        >>> try:
        ...     resolve_model(builtin_catalogue(), "mistral")
        ... except ModelNotFoundError as error:
        ...     print([model.name for model in error.suggestions])
        ['Mistral 7B Instruct']
    """

    def __init__(
        self,
        msg: str,
        *,
        query: str = "",
        models: Sequence[Any] = (),
        suggestions: Sequence[Any] = (),
    ) -> None:
        self.suggestions = list(suggestions)
        super().__init__(msg, query=query, models=models)


class AmbiguousModelError(ModelLookupError):
    """Several models answer to this text (one name, or one id prefix); ``candidates`` holds
    them. Pass one of their ids instead.

    Example::

        >>> from pieces_os_client import resolve_model
        >>> from pieces_os_client.testing import builtin_catalogue
        >>> phi = builtin_catalogue()[10]
        >>> newer = phi.model_copy(update={"id": "phi-3-1", "version": "3.1"})
        >>> try:
        ...     resolve_model([phi, newer], "phi-3 mini 4k instruct")  # one name, two models
        ... except AmbiguousModelError as error:
        ...     print([model.version for model in error.candidates])
        ['3.0', '3.1']
    """

    def __init__(
        self,
        msg: str,
        *,
        query: str = "",
        models: Sequence[Any] = (),
        candidates: Sequence[Any] = (),
    ) -> None:
        self.candidates = list(candidates)
        super().__init__(msg, query=query, models=models)


class ModelDownloadError(OpenApiException):
    """A download that ``ModelApi.download()`` (or ``download_events()``) followed did not
    complete.

    ``model_id`` names the model; ``progress`` is the last
    :class:`~pieces_os_client.DownloadEvent` seen (its ``percentage``, ``status`` and the
    message itself as ``progress.progress``), or None when none came.

    Example::

        >>> from pieces_os_client.exceptions import ModelDownloadFailed
        >>> e = ModelDownloadFailed("the download failed", model_id="m1")
        >>> e.model_id, e.progress, str(e)
        ('m1', None, 'the download failed')
    """

    def __init__(self, message: str, *, model_id: str, progress: Any = None) -> None:
        self.model_id = model_id
        #: The last ``DownloadEvent`` (typed ``Any`` here: the event lives in ``_core``,
        #: which imports this module).
        self.progress = progress
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __reduce__(self) -> Any:
        return (_rebuild_download_error, (type(self), str(self), self.model_id, self.progress))


def _rebuild_download_error(
    cls: type, message: str, model_id: str, progress: Any
) -> ModelDownloadError:
    error: ModelDownloadError = cls(message, model_id=model_id, progress=progress)
    return error


class ModelDownloadFailed(ModelDownloadError):
    """Pieces OS reported the download ``FAILED``; ``progress`` says how far it got."""


class ModelDownloadCanceled(ModelDownloadError):
    """Pieces OS reported the download ``CANCELED`` (by this or another client)."""


class ModelDownloadDenied(ModelDownloadError):
    """The model is ``denied`` (the organization of this Pieces OS account may not use it):
    ``download()`` refused it before anything but the model's lookup was sent."""


class ModelDownloadStalled(ModelDownloadError, TimeoutError):
    """No progress message and no change of the model's flags within ``stall_timeout``, or
    the download not complete within ``timeout``. Also a ``TimeoutError``.

    The SDK asked Pieces OS to cancel the download before raising this.
    """


for _public in (
    ModelLookupError,
    _rebuild_lookup_error,
    ModelNotFoundError,
    AmbiguousModelError,
    ModelDownloadError,
    _rebuild_download_error,
    ModelDownloadFailed,
    ModelDownloadCanceled,
    ModelDownloadDenied,
    ModelDownloadStalled,
):
    _public.__module__ = PUBLIC_MODULE
del _public
