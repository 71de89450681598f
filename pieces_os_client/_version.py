"""The one place the package version and the distribution name are set.

pyproject.toml reads ``__version__``; the User-Agent sends it. Install hints (an extra that is
missing, for example) build their ``pip install`` command with :func:`install_command`, so they
always name this distribution and never the published OpenAPI-Generator SDK, whose
distribution is called ``pieces_os_client`` like our import package.
"""

import os
from typing import Any, Dict, Optional, Tuple

__version__ = "0.1.0"

#: The name this SDK is installed under (``pip install pieces-os-models``). The import name
#: stays ``pieces_os_client``; pyproject.toml's ``[project] name`` is this same string (a test
#: checks the installed metadata).
DISTRIBUTION_NAME = "pieces-os-models"

#: How the running copy was installed, as :func:`install_origin` sees it: from an index,
#: from a directory (``pip install .``), as an editable checkout (``pip install -e .``, or
#: the source tree on ``sys.path``), or from a URL (a git repository, an archive).
INDEX, DIRECTORY, EDITABLE, URL = "index", "directory", "editable", "url"


def install_command(extra: Optional[str] = None, origin: Optional[Tuple[str, str]] = None) -> str:
    """The ``pip install`` command for this SDK, with one extra when given, that works for
    how the running copy was installed (``origin``, by default :func:`install_origin`).

    Example::

        >>> install_command("async", origin=(INDEX, ""))
        "pip install 'pieces-os-models[async]'"
        >>> install_command("stream", origin=(EDITABLE, "/src/pieces os"))
        "pip install -e '/src/pieces os[stream]'"
    """
    import shlex

    kind, where = origin if origin is not None else install_origin()
    wanted = f"[{extra}]" if extra else ""
    if kind == EDITABLE:
        return f"pip install -e {shlex.quote(where + wanted)}"
    if kind == DIRECTORY:
        return f"pip install {shlex.quote(where + wanted)}"
    if kind == URL:
        return f"pip install {shlex.quote(f'{DISTRIBUTION_NAME}{wanted} @ {where}')}"
    if extra is None:
        return f"pip install {DISTRIBUTION_NAME}"
    return f"pip install '{DISTRIBUTION_NAME}{wanted}'"


def install_origin() -> Tuple[str, str]:
    """``(kind, where)``: how the running copy was installed (see :data:`INDEX`...), read
    from where its files are and from pip's record of the install (PEP 610's
    ``direct_url.json``). Never raises: what cannot be read counts as :data:`INDEX`."""
    import json

    package = os.path.dirname(os.path.abspath(__file__))
    top = os.path.dirname(package)
    try:
        if _is_our_source_tree(top):
            return EDITABLE, top
        from importlib import metadata

        for distribution in metadata.distributions(name=DISTRIBUTION_NAME, path=[top]):
            record = distribution.read_text("direct_url.json")
            if record:
                return _origin_of(json.loads(record))
    except Exception:  # unreadable metadata: the index is the best guess
        pass
    return INDEX, ""


def _is_our_source_tree(top: str) -> bool:
    try:
        with open(os.path.join(top, "pyproject.toml"), encoding="utf-8") as handle:
            return f'name = "{DISTRIBUTION_NAME}"' in handle.read()
    except OSError:
        return False


def _origin_of(record: Dict[str, Any]) -> Tuple[str, str]:
    from urllib.parse import unquote, urlsplit

    url = str(record.get("url", ""))
    vcs = record.get("vcs_info")
    if isinstance(vcs, dict):
        revision = vcs.get("requested_revision")
        return URL, f"{vcs.get('vcs', 'git')}+{url}" + (f"@{revision}" if revision else "")
    parts = urlsplit(url)
    if parts.scheme == "file":
        path = unquote(parts.path)
        editable = isinstance(record.get("dir_info"), dict) and record["dir_info"].get("editable")
        if os.path.exists(path):
            return (EDITABLE if editable else DIRECTORY), path
        return DIRECTORY, "<the SDK's source directory>"
    return (URL, url) if url else (INDEX, "")
