"""`rulrr-desktop sync`: send the store profile, customers and every new order to Rulrr (not built yet)."""

import sys

HELP = "send the store profile, customers and every new order to Rulrr"


def add_arguments(parser):
    pass


def run(args):
    print("rulrr-desktop: this command is not built yet", file=sys.stderr)
    return 1
