"""`rulrr-desktop sandbox`: run the Rulrr emulator (API + Connect page) in the foreground (not built yet)."""

import sys

HELP = "run the Rulrr emulator (API + Connect page) in the foreground"


def add_arguments(parser):
    pass


def run(args):
    print("rulrr-desktop: this command is not built yet", file=sys.stderr)
    return 1
