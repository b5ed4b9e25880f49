"""`rulrr-desktop preview`: show what would be sent, without sending or changing anything (not built yet)."""

import sys

HELP = "show what would be sent, without sending or changing anything"


def add_arguments(parser):
    pass


def run(args):
    print("rulrr-desktop: this command is not built yet", file=sys.stderr)
    return 1
