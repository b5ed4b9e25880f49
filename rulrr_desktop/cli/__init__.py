"""The `rulrr-desktop` command (see CONTRACT.md). Each sub-command lives in its own module in this package.

A command module has `HELP` (one line), `add_arguments(parser)` and `run(args) -> int`. Global options
(`--home`, `--profile`) are on every command; `args.paths` is the resolved AppPaths.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from rulrr_desktop import __version__
from rulrr_desktop.core.errors import AppError

# command name -> module in rulrr_desktop.cli
COMMANDS = {
    "app": "app_cmd",
    "demo": "demo_cmd",
    "sandbox": "sandbox_cmd",
    "connect": "connect_cmd",
    "disconnect": "connect_cmd:disconnect",
    "sync": "sync_cmd",
    "status": "status_cmd",
    "presets": "presets_cmd",
    "preview": "preview_cmd",
    "selftest-webview": "selftest_cmd",
}


def _load(spec: str):
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(f"rulrr_desktop.cli.{module_name}")
    return getattr(module, attr) if attr else module


def build_parser(only: str | None = None, *, stubs: bool = True) -> argparse.ArgumentParser:
    """All commands, or only `only` in full; `stubs` adds the others as hidden names (for the "invalid
    choice" message; each costs ~0.5 ms of gettext look-ups, which a named command's start does not need)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--home", help="keep config, state and logs under this folder (env RULRR_DESKTOP_HOME)")
    common.add_argument("--profile", default="default", help="which store on this machine (default: default)")
    # The same options after the command name; SUPPRESS so that a sub-command's default does not overwrite a
    # value given before the command (`rulrr-desktop --profile shop2 connect`).
    sub_common = argparse.ArgumentParser(add_help=False)
    for action in common._actions:
        sub_common.add_argument(*action.option_strings, default=argparse.SUPPRESS, help=action.help)
    parser = argparse.ArgumentParser(prog="rulrr-desktop", parents=[common],
                                     description="Keeps Rulrr fed with your store's orders and customers.")
    parser.add_argument("--version", action="version", version=f"rulrr-desktop {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, spec in COMMANDS.items():
        if only is not None and name != only:
            if stubs:
                sub.add_parser(name, parents=[sub_common], help=argparse.SUPPRESS)
            continue
        command = _load(spec)
        p = sub.add_parser(name, parents=[sub_common], help=command.HELP, description=command.HELP)
        command.add_arguments(p)
        p.set_defaults(_run=command.run)
    return parser


def plain_app_launch() -> argparse.Namespace:
    """What the parser makes of a launch without options (`rulrr-desktop`, as the menu entry starts it, or
    `rulrr-desktop app`): the app with every option at its default. Building the parser costs ~2 ms of the
    window's start-up (argparse's gettext look-ups), for nothing to parse."""
    from rulrr_desktop.cli import app_cmd
    return argparse.Namespace(home=None, profile="default", command="app", background=False, _run=app_cmd.run)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv in ([], ["app"]):
        args = plain_app_launch()
    else:
        # Import only the module of the command asked for: start-up time matters for the tray app.
        name = next((a for a in argv if not a.startswith("-") and a in COMMANDS), None)
        named = name is not None
        if name is None and not any(a in ("-h", "--help", "--version") for a in argv):
            argv.append("app")
            name = "app"
        args = build_parser(only=name, stubs=not named).parse_args(argv)
    from rulrr_desktop.core.config import AppPaths
    try:
        args.paths = AppPaths.resolve(args.home, args.profile)
        return int(args._run(args) or 0)
    except AppError as exc:
        print(f"rulrr-desktop: {exc}", file=sys.stderr)
        return 2 if exc.__class__.__name__ == "ConfigError" else 1
    except KeyboardInterrupt:
        return 130
