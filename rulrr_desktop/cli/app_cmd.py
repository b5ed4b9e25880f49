"""`rulrr-desktop app`: the desktop app: tray and main window (the first run opens the connect wizard) (not built yet)."""

import sys

HELP = "the desktop app: tray and main window (the first run opens the connect wizard)"


def add_arguments(parser):
    pass


def run(args):
    print("rulrr-desktop: this command is not built yet", file=sys.stderr)
    return 1
