"""`rulrr-desktop connect`: connect this store to Rulrr without the window (not built yet)."""

import sys

HELP = "connect this store to Rulrr without the window"


def add_arguments(parser):
    pass


def run(args):
    print("rulrr-desktop: this command is not built yet", file=sys.stderr)
    return 1


class disconnect:  # noqa: N801 - a command namespace, replaced by the real one
    HELP = "delete the tokens from the keyring and forget the store"

    @staticmethod
    def add_arguments(parser):
        pass

    @staticmethod
    def run(args):
        print("not built yet", file=__import__("sys").stderr)
        return 1
