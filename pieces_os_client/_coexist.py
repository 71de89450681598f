"""One ``pieces_os_client`` per environment: fail at once, with the fix, when another
distribution's files share the package directory with ours.

The published SDK (distribution ``pieces_os_client``, 5.0.1 or the 4.1.0 pieces-cli pins) and
this one (``pieces-os-models``) both install the import package ``pieces_os_client``. pip has
no notion of that: the one installed last overwrites the other's files, uninstalling either
removes files the other needs, and ``pip check`` sees nothing. What imports is then a mix of
the two, failing far from the cause (``cannot import name 'RequestSerialized'``, ``No module
named 'pieces_os_client.models._base'``). So our code checks before it uses any other module:

- :func:`check_init`, from our ``__init__.py`` (ours was installed last): one listing of the
  directory that holds the package, for another distribution's metadata
  (``pieces_os_client-5.0.1.dist-info``). It needs only ``os`` and ``sys``, which every
  interpreter has loaded already, so ``import pieces_os_client`` stays cheap.
- :func:`check_entry`, from the code that can run under another SDK's ``__init__.py`` (the
  command line, ``pieces_os_client.testing``, the pytest plugin): the package's
  ``__init__.py`` must be ours, which :func:`check_init` records; an editable install of ours
  beside the published SDK, or the published SDK installed last, fails here.

Both raise :class:`ConflictingInstallError` (an ``ImportError``) naming both distributions and
the commands that fix it. Under our console script the message is printed without a traceback
(``SystemExit``); under pytest the error is also a ``pytest.UsageError``, which pytest prints
as one ``ERROR:`` line.
"""

import os
import sys
from typing import Any, List, NoReturn, Optional

#: The published OpenAPI-Generator SDK's distribution name (the same import name as ours).
PUBLISHED_DISTRIBUTION = "pieces_os_client"

_PACKAGE = "pieces_os_client"
_HERE = os.path.dirname(os.path.abspath(__file__))
#: The ``__init__.py`` that ran :func:`check_init` and passed: then it is ours.
_checked_init: Optional[str] = None


class ConflictingInstallError(ImportError):
    """Two distributions share the ``pieces_os_client`` package directory (or one was
    uninstalled from under the other): what would import is a mix of two SDKs.

    Example::

        >>> from pieces_os_client._coexist import ConflictingInstallError
        >>> issubclass(ConflictingInstallError, ImportError)
        True
    """


def check_init(init_file: str) -> None:
    """Fail at ``import pieces_os_client`` when another distribution installed files into
    the directory our ``__init__.py`` (``init_file``) is in.

    Example::

        >>> import pieces_os_client
        >>> check_init(pieces_os_client.__file__)  # passes in a healthy environment
    """
    global _checked_init
    package_dir = os.path.dirname(os.path.abspath(init_file))
    foreign = _published_metadata(os.path.dirname(package_dir))
    if foreign:
        _fail(_mixed(package_dir, foreign))
    _checked_init = init_file


def check_entry() -> None:
    """Fail when the ``pieces_os_client`` package that is imported is not ours: another
    SDK's ``__init__.py`` won (it was installed last, or ours is an editable install beside
    it), or ours was removed by uninstalling a distribution that shared its directory.

    Example::

        >>> check_entry()  # passes in a healthy environment
    """
    package = sys.modules.get(_PACKAGE)
    init_file = getattr(package, "__file__", None)
    if init_file is None:
        _fail(_damaged(list(getattr(package, "__path__", None) or [_HERE])))
    if init_file != _checked_init:
        package_dir = os.path.dirname(os.path.abspath(init_file))
        _fail(_mixed(package_dir, _published_metadata(os.path.dirname(package_dir))))


def _published_metadata(directory: str) -> List[str]:
    """The metadata directories in ``directory`` of the published SDK's distribution."""
    try:
        names = os.listdir(directory)
    except OSError:
        return []
    found = []
    for name in names:
        stem, _, kind = name.rpartition(".")
        if kind not in ("dist-info", "egg-info"):
            continue
        # "pieces_os_client-5.0.1.dist-info", "Pieces-OS-Client-4.1.0-py3.11.egg-info"
        project = stem.split("-", 1)[0].lower().replace(".", "_")
        if project == PUBLISHED_DISTRIBUTION:
            found.append(name)
    return sorted(found)


# --- the messages (only built on failure, so their imports cost a healthy import nothing) ----
def _versions(metadata_dirs: List[str]) -> List[str]:
    """``["5.0.1"]`` for ``["pieces_os_client-5.0.1.dist-info"]`` (``""`` when unversioned)."""
    return [[*name.rpartition(".")[0].split("-"), ""][1] for name in metadata_dirs]


def _mixed(package_dir: str, foreign: List[str]) -> str:
    versions = _versions(foreign)
    theirs = " and ".join(f"{PUBLISHED_DISTRIBUTION} {v}".strip() for v in versions)
    where = package_dir if package_dir == _HERE else f"{package_dir} and {_HERE}"
    return (
        f"two SDKs share the package pieces_os_client: {_our_name()} (this SDK) and "
        f"{theirs or 'another distribution'} (the published OpenAPI-Generator SDK) are both "
        f"installed in {where}. pip lets the one installed last overwrite or hide the other's "
        "files, so what imports is a mix of the two. Keep one of them in this environment:\n"
        + _fixes(versions[0] if versions else "")
    )


def _damaged(directories: List[str]) -> str:
    return (
        f"pieces_os_client is damaged: {_our_name()} (this SDK) is installed, but its "
        f"__init__.py is missing from {' and '.join(directories)}. Uninstalling another "
        f"distribution that shared the directory (the published SDK, {PUBLISHED_DISTRIBUTION}) "
        "does that: its uninstall removes the files both had. Reinstall one of them:\n" + _fixes("")
    )


def _fixes(published_version: str) -> str:
    pip = f"{_quote(sys.executable or 'python')} -m pip"
    clean = f"{pip} uninstall -y {PUBLISHED_DISTRIBUTION} pieces-os-models"
    published = f"{PUBLISHED_DISTRIBUTION}=={published_version or '5.0.1'}"
    return (
        f"  this SDK:          {clean} && {pip} install {_reinstall_target()}\n"
        f"  the published SDK: {clean} && {pip} install {_quote(published)}\n"
        "Uninstall both first (each one's uninstall removes files the other one overwrote). "
        "To use both, keep each in its own virtual environment: see docs/migrating.md."
    )


def _our_name() -> str:
    try:
        from pieces_os_client._version import __version__
    except ImportError:  # pragma: no cover - _version.py is ours alone; kept for safety
        return "pieces-os-models"
    return f"pieces-os-models {__version__}"


def _reinstall_target() -> str:
    """What ``pip install`` needs to put ours back: where it was installed from (PEP 610's
    ``direct_url.json``), else the name and version."""
    direct = _direct_url()
    version = _our_name().rpartition(" ")[2]
    url = direct.get("url")
    if not isinstance(url, str):
        return _quote(f"pieces-os-models=={version}")
    vcs = direct.get("vcs_info")
    if isinstance(vcs, dict):
        revision = vcs.get("requested_revision")
        target = f"{vcs.get('vcs', 'git')}+{url}" + (f"@{revision}" if revision else "")
    elif url.startswith("file:"):
        from urllib.parse import urlsplit
        from urllib.request import url2pathname

        target = url2pathname(urlsplit(url).path)
    else:
        target = url
    dir_info = direct.get("dir_info")
    editable = isinstance(dir_info, dict) and dir_info.get("editable") is True
    return ("-e " if editable else "") + _quote(target)


def _direct_url() -> Any:
    import json
    from importlib import metadata

    try:
        text = metadata.distribution("pieces-os-models").read_text("direct_url.json")
        found = json.loads(text or "{}")
    except (metadata.PackageNotFoundError, OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def _quote(word: str) -> str:
    import shlex

    return shlex.quote(word)


def _fail(message: str) -> NoReturn:
    argv0 = (getattr(sys, "argv", None) or [""])[0]
    program = os.path.basename(argv0)
    as_module = argv0 == "-m" or os.path.basename(os.path.dirname(argv0)) == _PACKAGE
    if program.startswith("pieces-os-models") or as_module:
        # Our console script (or ``python -m pieces_os_client``): the message, no traceback.
        raise SystemExit(f"error: {message}")
    pytest = sys.modules.get("pytest")
    usage_error = getattr(pytest, "UsageError", None)
    if isinstance(usage_error, type) and issubclass(usage_error, Exception):
        # Loading our pytest plugin: pytest prints a UsageError as one "ERROR:" line.
        raise type("ConflictingInstallError", (ConflictingInstallError, usage_error), {})(message)
    raise ConflictingInstallError(message)
