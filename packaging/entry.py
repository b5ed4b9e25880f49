"""The frozen app's entry point: the same `rulrr-desktop` command as `python -m rulrr_desktop`.

PyInstaller freezes this script; everything else is found through the package (see rulrr-desktop.spec).
"""

import sys

from rulrr_desktop.cli import main

if __name__ == "__main__":
    sys.exit(main())
