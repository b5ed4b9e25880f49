"""`rulrr-desktop app` (also plain `rulrr-desktop`): the desktop app: tray and main window; the first run opens
the set-up wizard. Qt is imported only here, so the headless commands stay light."""

HELP = "the desktop app: tray and main window (the first run opens the set-up wizard)"


def add_arguments(parser):
    parser.add_argument("--background", action="store_true",
                        help="start in the tray without opening the window (used when starting at login)")


def run(args):
    import gc
    gc.disable()        # start-up allocates a lot and frees little: collect once the window is up (ui.runtime)
    from rulrr_desktop.ui.app import run_app
    return run_app(args.paths, background=args.background)
