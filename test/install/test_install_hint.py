"""The missing-extra error names a ``pip install`` that works for how the SDK was installed:
an editable checkout, a directory, a git URL or the index."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Optional

import pytest

from pieces_os_client._version import (
    DIRECTORY,
    DISTRIBUTION_NAME,
    EDITABLE,
    INDEX,
    URL,
    __version__,
    install_command,
)
from pieces_os_client.testing import LocalPiecesOS, builtin_id

ROOT = Path(__file__).resolve().parents[2]
PROBE = "from pieces_os_client._version import install_command; print(install_command('stream'))"


def test_the_source_tree_these_tests_run_from_is_an_editable_checkout() -> None:
    # Imported from the source tree itself (its directory first on sys.path), whatever copy
    # this test process imported (nox's sessions test an installed wheel).
    probe = (
        "import pieces_os_client._version as v; "
        "print(v.install_origin()); print(v.install_command('stream'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, cwd=ROOT
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        repr((EDITABLE, str(ROOT))),
        f"pip install -e '{ROOT}[stream]'",
    ]


@pytest.mark.parametrize(
    ("origin", "command"),
    [
        ((INDEX, ""), "pip install 'pieces-os-models[stream]'"),
        ((DIRECTORY, "/opt/sdk"), "pip install '/opt/sdk[stream]'"),
        ((EDITABLE, "/home/me/pieces os"), "pip install -e '/home/me/pieces os[stream]'"),
        (
            (URL, "git+https://example.com/sdk@v1"),
            "pip install 'pieces-os-models[stream] @ git+https://example.com/sdk@v1'",
        ),
    ],
)
def test_each_origin_has_its_command(origin: Any, command: str) -> None:
    assert install_command("stream", origin=origin) == command


def _installed_copy(tmp_path: Path, record: Optional[Dict[str, Any]]) -> Path:
    """A site directory holding a copy of the package and its dist-info, as pip leaves them
    (``direct_url.json`` is pip's record of where it installed from, PEP 610)."""
    site = tmp_path / "site"
    shutil.copytree(ROOT / "pieces_os_client", site / "pieces_os_client")
    info = site / f"pieces_os_models-{__version__}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {DISTRIBUTION_NAME}\nVersion: {__version__}\n"
    )
    if record is not None:
        (info / "direct_url.json").write_text(json.dumps(record))
    return site


def _probe(site: Path, cwd: Path, code: str = PROBE) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    env["PYTHONPATH"] = str(site)
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (None, "pip install 'pieces-os-models[stream]'"),  # from an index: no record
        ({"url": "file://{src}", "dir_info": {}}, "pip install '{src}[stream]'"),
        ({"url": "file://{src}", "dir_info": {"editable": True}}, "pip install -e '{src}[stream]'"),
        (
            {"url": "https://example.com/sdk.git", "vcs_info": {"vcs": "git", "commit_id": "ab12"}},
            "pip install 'pieces-os-models[stream] @ git+https://example.com/sdk.git'",
        ),
        (
            {"url": "file:///gone/away", "dir_info": {}},
            "pip install '<the SDK'\"'\"'s source directory>[stream]'",
        ),
    ],
    ids=["index", "directory", "editable", "git", "directory-gone"],
)
def test_an_installed_copy_names_where_it_came_from(
    tmp_path: Path, record: Optional[Dict[str, Any]], expected: str
) -> None:
    src = tmp_path / "unpacked source"
    src.mkdir()
    if record is not None:
        record = json.loads(json.dumps(record).replace("{src}", str(src)))
    site = _installed_copy(tmp_path, record)
    done = _probe(site, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == expected.replace("{src}", str(src))


def test_download_without_websockets_names_the_command_for_this_checkout(
    server: LocalPiecesOS,
) -> None:
    code = f"""
import sys
sys.modules["websockets"] = None  # as if the stream extra were not installed
from pieces_os_client import ApiClient, Configuration, ModelApi
with ApiClient(Configuration(host={server.url!r})) as api_client:
    try:
        ModelApi(api_client).download({builtin_id("mistral-7b-instruct-v0.3")!r})
    except ImportError as error:
        print(error)
"""
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, cwd=ROOT.parent
    )
    assert done.returncode == 0, done.stderr
    # The command for the copy the child imported (from its working directory, ROOT's parent:
    # the installed one), asked of that copy itself.
    command = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60, cwd=ROOT.parent
    ).stdout.strip()
    assert command.startswith("pip install ") and "[stream]" in command
    assert done.stdout.strip() == (
        f"websockets is not installed; install the stream extra: {command}"
    )
    assert not any(r.method == "POST" for r in server.requests)
