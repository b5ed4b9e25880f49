"""`rulrr-desktop demo`: the app on the built-in sandbox with a demo POS export that keeps selling (not built yet)."""

import sys

HELP = "the app on the built-in sandbox with a demo POS export that keeps selling"


def add_arguments(parser):
    pass


def run(args):
    print("rulrr-desktop: this command is not built yet", file=sys.stderr)
    return 1
