"""A model by what people call it: its id, its ``unique`` slug, its name or an id prefix.

:func:`resolve_model` is the one resolver: every CLI command that takes a model,
``ModelApi.download()`` / ``download_events()`` (sync and async) and
``ModelsApi.resolve_model()`` use it, on one snapshot of the models. The generated
operations (``model_specific_model_download(model)``...) take ids only, as in 5.0.1.
"""

from __future__ import annotations

import difflib
from typing import Any, Iterable, List, Sequence, Union

from pieces_os_client.exceptions import (
    AmbiguousModelError,
    ApiTypeError,
    ApiValueError,
    ModelNotFoundError,
)
from pieces_os_client.models.model import Model
from pieces_os_client.models.models import Models

__all__ = ["ID_PREFIX_MIN", "LIST_COMMAND", "check_model_text", "resolve_model"]

#: The fewest characters an id prefix needs to name a model (as ``git`` takes short hashes).
ID_PREFIX_MIN = 6
#: The command that lists every model, named by the errors.
LIST_COMMAND = "pieces-os-models models list"
#: How many candidates or suggestions an error names.
_SHOWN = 5


def resolve_model(models: Union[Models, Iterable[Model]], text: str) -> Model:
    """The model ``text`` names, looked up in ``models`` (a ``Models`` snapshot, or any
    iterable of ``Model``), in this order:

    1. its ``id``;
    2. its ``unique`` slug, exactly (``"mistral-7b-instruct-v0.3"``);
    3. its ``name``, ignoring case (``"mistral 7b instruct"``);
    4. the start of its id, at least :data:`ID_PREFIX_MIN` characters (``"d6c0d17e"``).

    The first step that matches decides. Several models at that step raise
    :class:`~pieces_os_client.AmbiguousModelError` (``candidates`` lists them); none at any
    step raises :class:`~pieces_os_client.ModelNotFoundError` (``suggestions`` holds the
    closest names). Both are ``ModelLookupError``\\ s, ``ApiValueError``\\ s (so
    ``ValueError``\\ s) and ``LookupError``\\ s, and their text names the candidates with
    their ids, or the closest names and the command that lists every model.

    It sends nothing: plugin code with a model picker calls it on the snapshot it already
    has; ``ModelsApi().resolve_model(text)`` fetches one first.

    Example::

        >>> from pieces_os_client import resolve_model
        >>> from pieces_os_client.testing import builtin_catalogue
        >>> models = builtin_catalogue()
        >>> resolve_model(models, "Mistral 7B Instruct").unique
        'mistral-7b-instruct-v0.3'
        >>> resolve_model(models, "phi-3-mini-4k-instruct").name
        'Phi-3 Mini 4K Instruct'
    """
    wanted = check_model_text(text)
    if isinstance(models, Models):
        pool: List[Model] = list(models.iterable)
    else:
        pool = list(models)
    for model in pool:
        if model.id == wanted:
            return model
    folded = wanted.casefold()
    steps = (
        ("unique slug", [m for m in pool if m.unique is not None and m.unique == wanted]),
        ("name", [m for m in pool if m.name.casefold() == folded]),
        (
            "id prefix",
            [m for m in pool if m.id.casefold().startswith(folded)]
            if len(wanted) >= ID_PREFIX_MIN
            else [],
        ),
    )
    for how, found in steps:
        if len(found) == 1:
            return found[0]
        if found:
            raise AmbiguousModelError(
                f"{len(found)} models have the {how} {wanted!r}: {_listed(found)}; "
                "pass the id of the one you mean",
                query=text,
                models=pool,
                candidates=found,
            )
    suggestions = _closest(pool, folded)
    hint = f"did you mean {_listed(suggestions, ' or ')}? " if suggestions else ""
    if len(wanted) >= ID_PREFIX_MIN:
        missing = f"no model has the id, unique slug or name {wanted!r}, and no id starts with it"
    elif any(m.id.casefold().startswith(folded) for m in pool):
        missing = (
            f"no model has the id, unique slug or name {wanted!r} (as an id prefix it is too "
            f"short: give at least {ID_PREFIX_MIN} characters)"
        )
    else:
        missing = f"no model has the id, unique slug or name {wanted!r}"
    raise ModelNotFoundError(
        f"{missing}; {hint}`{LIST_COMMAND}` lists all {len(pool)}",
        query=text,
        models=pool,
        suggestions=suggestions,
    )


def check_model_text(text: object) -> str:
    """``text`` without surrounding blanks; raises ``ApiTypeError`` / ``ApiValueError`` for
    what cannot name a model (before anything is sent)."""
    if not isinstance(text, str):
        raise ApiTypeError(
            f"a model is named by a str (its id, unique slug, name or id prefix), "
            f"not {type(text).__name__}"
        )
    wanted = text.strip()
    if not wanted:
        raise ApiValueError(
            f"a model must be named: pass its id, unique slug or name (`{LIST_COMMAND}` lists them)"
        )
    return wanted


def _listed(models: Sequence[Model], last: str = ", ") -> str:
    """``Llama 3 8B Instruct (id 5c0...), ...`` for at most :data:`_SHOWN` models."""
    shown = [f"{_one_line(m.name)} (id {m.id})" for m in models[:_SHOWN]]
    more = f" and {len(models) - _SHOWN} more" if len(models) > _SHOWN else ""
    if len(shown) > 1 and not more:
        return ", ".join(shown[:-1]) + last + shown[-1]
    return ", ".join(shown) + more


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _closest(pool: Sequence[Model], folded: str) -> List[Model]:
    """The models whose name or slug is nearest ``folded``: names that contain it first,
    then what ``difflib`` finds close, best first."""
    scored: List[Any] = []
    for model in pool:
        keys = [model.name.casefold()] + ([model.unique.casefold()] if model.unique else [])
        best = 0.0
        for key in keys:
            if folded in key:
                best = max(best, 1.0 + len(folded) / max(1, len(key)))
                continue
            # The whole name, and its start as long as the text (a typo in the first words).
            ratio = max(
                difflib.SequenceMatcher(None, folded, key).ratio(),
                0.9 * difflib.SequenceMatcher(None, folded, key[: len(folded)]).ratio(),
            )
            if ratio >= 0.6:
                best = max(best, ratio)
        if best:
            scored.append((-best, model.name.casefold(), model))
    scored.sort(key=lambda item: (item[0], item[1]))
    return [model for _, _, model in scored[:3]]
