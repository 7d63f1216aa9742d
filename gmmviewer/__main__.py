"""``python -m gmmviewer``: the same as the ``gmmviewer`` command."""

import sys

from gmmviewer.cli import main

if __name__ == "__main__":
    sys.exit(main())
