"""aiohttp is optional: the package works without it, and pieces_os_client.aio says what to install.

Each check runs in a fresh interpreter; aiohttp is hidden there by a meta-path blocker in a
``sitecustomize`` on PYTHONPATH (nothing is uninstalled).
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

HIDE_AIOHTTP = textwrap.dedent(
    """
    import sys

    class _HideAiohttp:
        def find_spec(self, name, path=None, target=None):
            if name == "aiohttp" or name.startswith("aiohttp."):
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, _HideAiohttp())
    """
)


def python(code: str, pythonpath: str = "") -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_without_aiohttp_the_sync_sdk_works_and_aio_names_the_extra(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(HIDE_AIOHTTP)
    result = python(
        """
        try:
            import aiohttp
        except ImportError:
            print("aiohttp hidden")

        import pieces_os_client
        from pieces_os_client import ApiClient, Configuration, ModelsApi, Models

        with ApiClient(Configuration(host="http://127.0.0.1:1")) as api_client:
            ModelsApi(api_client)
        print("sync ok", len(pieces_os_client.__all__))

        try:
            import pieces_os_client.aio
        except ImportError as error:
            print("ImportError:", error)
            from pieces_os_client._version import install_command

            print(install_command("async"))
        else:
            print("aio imported")
        """,
        pythonpath=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "aiohttp hidden"
    assert lines[1].startswith("sync ok")
    assert lines[2].startswith("ImportError: ")
    # The command for how the copy the child imported was installed, asked of that copy.
    assert lines[2].endswith(f"install the async extra: {lines[3]}")
    assert lines[3].startswith("pip install ") and "[async]" in lines[3]
    assert len(lines) == 4


def test_importing_the_package_does_not_import_aiohttp() -> None:
    result = python(
        """
        import sys
        import pieces_os_client

        for name in pieces_os_client.__all__:
            getattr(pieces_os_client, name)
        print("aiohttp" in sys.modules)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_with_aiohttp_the_async_names_import() -> None:
    result = python(
        """
        from pieces_os_client.aio import AsyncApiClient, AsyncModelsApi, AsyncWellKnownApi
        import pieces_os_client.aio as aio

        print(sorted(aio.__all__))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "['AsyncApiClient', 'AsyncModelApi', 'AsyncModelsApi', 'AsyncWellKnownApi']"
    )
