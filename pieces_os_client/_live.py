"""Old name of :mod:`pieces_os_client._display.notebook_bar`, kept while ``api/_extras.py`` and
``aio/_extras.py`` (the runtime's files) import it by this name."""

from pieces_os_client._display.notebook_bar import finish_notebook_progress, notebook_progress

__all__ = ["finish_notebook_progress", "notebook_progress"]
