"""`rulrr-desktop sandbox`: run the Rulrr emulator (API + Connect page) in the foreground.

The first stdout line, printed once the server listens, is `Rulrr sandbox at http://H:P` (the real port with
`--port 0`): tests and scripts wait for it. Exits 0 on SIGINT/SIGTERM.
"""

from __future__ import annotations

import sys

HELP = "run the Rulrr emulator (API + Connect page) in the foreground"


def add_arguments(parser):
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port to listen on; 0 picks a free one (default 8765)")
    parser.add_argument("--state", metavar="FILE", help="keep the sandbox's state in this SQLite file across "
                                                        "restarts (default: in memory)")


def run(args):
    from rulrr_desktop.sandbox.server import READY_PREFIX, serve_forever

    def ready(url: str) -> None:
        print(f"{READY_PREFIX}{url}", flush=True)
        print(f"Connect page: {url}/connect?integration_token=…&client_id=demo-pos · partner demo-pos / "
              "demo-secret · merchant owner@example.com / demo · hooks: /_sandbox/state", flush=True)

    try:
        serve_forever(args.host, args.port, args.state, on_ready=ready)
    except OSError as exc:
        print(f"rulrr-desktop: the sandbox cannot listen on {args.host}:{args.port} ({exc.strerror or exc})",
              file=sys.stderr)
        return 1
    return 0
