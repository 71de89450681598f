"""Old name of :mod:`pieces_os_client._display.progress_text`, kept while ``api/_extras.py``
(the runtime's file) imports it by this name."""

from pieces_os_client._display.progress_text import percent_text

__all__ = ["percent_text"]
