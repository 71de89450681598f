"""The sync runtime, generated from :mod:`pieces_os_client._async` by ``tools/generate.py``:
do not edit; change the async modules and run ``nox -s generate``."""
