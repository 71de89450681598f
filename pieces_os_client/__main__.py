"""``python -m pieces_os_client``: the ``pieces-os-models`` command line."""

import sys

from pieces_os_client.cli import main

if __name__ == "__main__":
    sys.exit(main(prog="python -m pieces_os_client"))
