"""`rulrr-desktop status`: show the connected store, the source and how sync is doing (not built yet)."""

import sys

HELP = "show the connected store, the source and how sync is doing"


def add_arguments(parser):
    pass


def run(args):
    print("rulrr-desktop: this command is not built yet", file=sys.stderr)
    return 1
