"""`rulrr-desktop connect` and `disconnect`: connect a profile to a Rulrr store without the window, or forget it.

`connect` prints the Connect page URL (to open in any browser), polls until the merchant confirms, then stores
the tokens in the OS keyring. Exit codes (CONTRACT.md): 0 connected, 3 cancelled, 4 expired, 2 bad config or
partner credentials, 1 anything else. If the keyring fails, the tokens are held in this process and stored as
soon as the keyring works; the command waits for that rather than lose them.
"""

from __future__ import annotations

import argparse
import sys
import time

from rulrr_desktop.core.errors import AppError, ConfigError

HELP = "connect this store to Rulrr without the window"

EXIT_CONNECTED, EXIT_OTHER, EXIT_CONFIG, EXIT_CANCELLED, EXIT_EXPIRED = 0, 1, 2, 3, 4
MAX_BACKOFF_S = 15.0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--poll-interval", type=float, default=1.5, metavar="SECONDS",
                        help="how often to ask Rulrr whether the merchant confirmed (default 1.5)")
    parser.add_argument("--open", action="store_true", help="also open the Connect page in the default browser")


def _say(text: str, *, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout, flush=True)


def _error_exit(exc: AppError) -> int:
    from rulrr_desktop.core.api.errors import BadPartnerCredentials
    _say(f"rulrr-desktop: {exc}", err=True)
    return EXIT_CONFIG if isinstance(exc, (ConfigError, BadPartnerCredentials)) else EXIT_OTHER


def run(args: argparse.Namespace) -> int:
    from rulrr_desktop.core.connect import ConnectSession, ConnectState
    from rulrr_desktop.core.credentials import load_credentials

    from rulrr_desktop.core import connection as connection_record

    interval = max(0.2, float(args.poll_interval))
    try:
        session = ConnectSession(args.paths, load_credentials(args.paths))
        previous = connection_record.load(args.paths)
    except AppError as exc:
        return _error_exit(exc)
    if previous is not None:
        _say(f"This profile is connected to {previous.store_name or 'a store'}; connecting again replaces it.")
    try:
        return _drive(session, interval, open_browser=args.open, ConnectState=ConnectState)
    finally:
        session.close()


def _call(step, session, interval: float):
    """Runs one session step, backing off on transient errors; returns the state or the AppError that ended it."""
    delay = interval
    while True:
        try:
            return step()
        except AppError as exc:
            if session.state.value == "failed":
                return exc
            _say(f"rulrr-desktop: {exc.title}; trying again in {delay:.0f} s", err=True)
            time.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)


def _drive(session, interval: float, *, open_browser: bool, ConnectState) -> int:  # noqa: N803
    result = _call(session.start, session, interval)
    if isinstance(result, AppError):
        return _error_exit(result)
    _say("Open this page in a web browser, sign in to Rulrr, choose the store and click Connect:")
    _say(session.page_url)
    if open_browser:
        import webbrowser
        webbrowser.open(session.page_url)
    _say("Waiting for the confirmation on the Connect page… (Ctrl-C to stop)")
    while True:
        result = _call(session.poll, session, interval)
        if isinstance(result, AppError):
            return _error_exit(result)
        if result is ConnectState.PENDING:
            time.sleep(interval)
            continue
        if result is ConnectState.CANCELLED:
            _say("The connection was cancelled on the Connect page. Run `rulrr-desktop connect` to try again.",
                 err=True)
            return EXIT_CANCELLED
        if result is ConnectState.EXPIRED:
            _say("The Connect page link ran out of time (15 minutes). Run `rulrr-desktop connect` for a new one.",
                 err=True)
            return EXIT_EXPIRED
        break
    result = _call(session.exchange_and_store, session, interval)
    if isinstance(result, AppError):
        return _error_exit(result)
    if result is ConnectState.STORED_IN_MEMORY:
        _say(f"rulrr-desktop: {session.error}", err=True)
        _say("The keys are kept in this process until the keyring works; do not close it.", err=True)
        delay = interval
        while session.retry_store() is ConnectState.STORED_IN_MEMORY:
            time.sleep(delay)
            delay = min(delay * 2, MAX_BACKOFF_S)
    connection = session.connection
    name = connection.store_name or "the store"
    ident = f" ({connection.store_id})" if connection.store_id else ""
    _say(f"Connected to {name}{ident}. The keys are in the system keyring ({connection.keyring_backend}).")
    return EXIT_CONNECTED


class disconnect:  # noqa: N801 - a command namespace (HELP / add_arguments / run), see cli/__init__.py
    HELP = "delete the tokens from the keyring and forget the store"

    @staticmethod
    def add_arguments(parser: argparse.ArgumentParser) -> None:
        pass

    @staticmethod
    def run(args: argparse.Namespace) -> int:
        from rulrr_desktop.core import connection as connection_record
        from rulrr_desktop.core.secrets import TokenStore

        try:
            record = connection_record.load(args.paths)
        except AppError:
            record = None       # a damaged record is forgotten all the same
        try:
            deleted = TokenStore(args.paths.profile).delete()
        except AppError as exc:
            _say(f"rulrr-desktop: {exc}", err=True)
            return EXIT_OTHER
        forgot = connection_record.forget(args.paths)
        if record is not None and record.store_name:
            _say(f"Disconnected from {record.store_name}: the keys were deleted from the system keyring.")
        elif deleted or forgot:
            _say("Disconnected: the keys were deleted from the system keyring.")
        else:
            _say(f"The profile {args.paths.profile!r} was not connected.")
        return EXIT_CONNECTED
