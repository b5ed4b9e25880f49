"""`rulrr-desktop presets`: list the built-in POS export presets (not built yet)."""

import sys

HELP = "list the built-in POS export presets"


def add_arguments(parser):
    pass


def run(args):
    print("rulrr-desktop: this command is not built yet", file=sys.stderr)
    return 1
