"""The one place the package version and the distribution name are set.

pyproject.toml reads ``__version__``; the User-Agent sends it. Install hints (an extra that is
missing, for example) build their ``pip install`` command with :func:`install_command`, so they
always name this distribution and never the published OpenAPI-Generator SDK, whose
distribution is called ``pieces_os_client`` like our import package.
"""

from typing import Optional

__version__ = "0.1.0"

#: The name this SDK is installed under (``pip install pieces-os-models``). The import name
#: stays ``pieces_os_client``; pyproject.toml's ``[project] name`` is this same string (a test
#: checks the installed metadata).
DISTRIBUTION_NAME = "pieces-os-models"


def install_command(extra: Optional[str] = None) -> str:
    """The ``pip install`` command for this SDK, with one extra when given.

    Example::

        >>> install_command("async")
        "pip install 'pieces-os-models[async]'"
    """
    if extra is None:
        return f"pip install {DISTRIBUTION_NAME}"
    return f"pip install '{DISTRIBUTION_NAME}[{extra}]'"
