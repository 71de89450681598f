"""Importing the models costs no HTTP code, and ``import pieces_os_client`` costs almost nothing.

Each check runs a fresh interpreter, as the current one has imported everything already.
"""

from __future__ import annotations

import subprocess
import sys
from typing import List

import pytest

#: Modules that mean "HTTP code was loaded".
HTTP_MODULES = (
    "urllib3",
    "http.client",
    "http.server",
    "aiohttp",
    "requests",
    "pieces_os_client.rest",
    "pieces_os_client.api_client",
    "pieces_os_client.api",
    "pieces_os_client.aio",
    "pieces_os_client._core.endpoint",
    "pieces_os_client.testing",
)


def _is_http(module: str) -> bool:
    return any(module == name or module.startswith(name + ".") for name in HTTP_MODULES)


def _run(code: str, *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *flags, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def _imported_by(statement: str) -> List[str]:
    """Every module ``statement`` imports, read from ``python -X importtime``."""
    stderr = _run(statement, "-X", "importtime").stderr
    names = []
    for line in stderr.splitlines():
        if not line.startswith("import time:"):
            continue
        name = line.rsplit("|", 1)[-1].strip()
        if name != "package":  # the header line
            names.append(name)
    return names


def _modules_after(code: str) -> List[str]:
    """``sys.modules`` after running ``code`` in a fresh interpreter."""
    out = _run(code + "\nimport sys\nprint('\\n'.join(sorted(sys.modules)))").stdout
    return out.split()


#: Every model class, loaded: what "importing the models" means now that each loads on use.
ALL_MODELS = "import pieces_os_client.models as m; [getattr(m, n) for n in m.__all__]"


def test_importtime_output_is_understood() -> None:
    # Guards the parser: if -X importtime changed its format, the checks below would be empty.
    names = _imported_by(ALL_MODELS)
    assert "pieces_os_client.models" in names
    assert "pieces_os_client.models.model" in names
    assert "pydantic" in names


def test_importing_the_models_loads_no_http_code() -> None:
    names = _imported_by(ALL_MODELS)
    assert [name for name in names if _is_http(name)] == []


def test_importing_the_client_loads_no_model() -> None:
    # The import users pay before any call: pydantic's model machinery, the 18 model classes
    # and ApiResponse (a pydantic model) load with the first answer, not here.
    loaded = _modules_after("from pieces_os_client import ModelsApi, ApiClient, Configuration")
    assert "pieces_os_client.api.models_api" in loaded
    assert [n for n in loaded if n.startswith("pieces_os_client.models.")] == []
    assert "pieces_os_client.api_response" not in loaded
    assert "pydantic.main" not in loaded


def test_the_models_package_loads_each_model_on_first_use() -> None:
    loaded = _modules_after("from pieces_os_client.models import SeededModel")
    assert "pieces_os_client.models.seeded_model" in loaded
    assert "pieces_os_client.models.models" not in loaded  # not needed by SeededModel
    import pieces_os_client.models as models

    assert set(models.__all__) <= set(dir(models))
    with pytest.raises(AttributeError, match="NoSuchModel"):
        models.NoSuchModel  # noqa: B018


def test_a_call_loads_the_models_it_needs_and_type_hints_resolve() -> None:
    code = (
        "import typing\n"
        "from pieces_os_client import ModelsApi\n"
        "hints = typing.get_type_hints(ModelsApi.models_create_new_model)\n"
        "assert hints['return'].__name__ == 'Model', hints\n"
        "from pieces_os_client._core.operations import by_name\n"
        "CREATE = by_name('models_create_new_model')\n"
        "assert CREATE.response_model.__name__ == 'Model'\n"
        "assert CREATE.body_model.__name__ == 'SeededModel'"
    )
    assert "pieces_os_client.models.seeded_model" in _modules_after(code)


def test_importing_one_model_module_loads_no_http_code() -> None:
    names = _imported_by("from pieces_os_client.models.seeded_model import SeededModel")
    assert "pieces_os_client.models.seeded_model" in names
    assert [name for name in names if _is_http(name)] == []


def test_import_pieces_os_client_alone_is_cheap() -> None:
    names = _imported_by("import pieces_os_client")
    ours = sorted(name for name in names if name.startswith("pieces_os_client"))
    assert ours == ["pieces_os_client", "pieces_os_client._coexist", "pieces_os_client._version"]
    # The check that no other SDK shares the package directory (_coexist) lists one directory
    # with os: nothing a bare interpreter has not loaded, beyond typing (the names' table)
    # and what typing imports on this Python (re, enum, contextlib... before 3.11's).
    others = set(names) - set(_imported_by("import typing")) - set(ours)
    assert others <= {"__future__"}
    assert [name for name in names if _is_http(name)] == []
    assert not any(name == "pydantic" or name.startswith("pydantic.") for name in names)


def test_a_model_from_the_top_level_still_loads_no_http_code() -> None:
    loaded = _modules_after("import pieces_os_client\npieces_os_client.SeededModel")
    assert "pieces_os_client.models.seeded_model" in loaded
    assert [name for name in loaded if _is_http(name)] == []


@pytest.mark.parametrize(
    ("name", "module"),
    [
        ("ModelsApi", "pieces_os_client.api.models_api"),
        ("ApiClient", "pieces_os_client.api_client"),
        ("Model", "pieces_os_client.models.model"),
    ],
)
def test_public_names_load_on_first_use(name: str, module: str) -> None:
    loaded = _modules_after(f"import pieces_os_client\nassert pieces_os_client.{name}")
    assert module in loaded


def test_unknown_top_level_name_raises_attribute_error() -> None:
    import pieces_os_client

    with pytest.raises(AttributeError, match="NoSuchThing"):
        pieces_os_client.NoSuchThing  # noqa: B018
    assert "ModelsApi" in dir(pieces_os_client)
