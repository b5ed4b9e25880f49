"""`rulrr-desktop selftest-webview URL`: loads a page in the app's Connect view and reports what it rendered.

Why: the Connect page only works if the installed build carries QtWebEngine's helper process, resources and
locales. This diagnostic proves it on any machine (support can ask a store to run it; the packaging tests run
it against the sandbox in the frozen build). It prints one JSON line and exits 0 only when the page loaded.
The page goes through the profile's proxy (`[network] proxy`, its password from the keyring), as the Connect
page does, so it also tells whether that way out works.
"""

from __future__ import annotations

import json
import sys
import time

HELP = "diagnostics: check that the built-in web view can load and render a page (prints one JSON line)"


def add_arguments(parser) -> None:
    parser.add_argument("url", help="the page to load, e.g. the Connect page")
    parser.add_argument("--png", help="also save what the web view painted to this PNG file")
    parser.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the page (default 60)")


def run(args) -> int:
    # Qt is imported here, not at module level: the other commands never pay for it.
    from PySide6.QtCore import QTimer, QUrl
    from PySide6.QtWebEngineCore import QWebEngineProfile
    from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget

    from rulrr_desktop.core.config import load_settings
    from rulrr_desktop.core.errors import AppError
    from rulrr_desktop.core.network import connection_proxy
    from rulrr_desktop.core.redact import redact
    from rulrr_desktop.ui.web import ConfinedWebView, use_proxy

    report: dict = {"url": args.url, "ok": False}
    try:
        proxy = connection_proxy(load_settings(args.paths).network.proxy)
    except AppError as exc:             # a bad proxy setting, an unreadable config.toml or keyring
        print(json.dumps({**report, "error": exc.message}), flush=True)
        return 1
    report["proxy"] = redact(proxy) if proxy else "system"
    app = QApplication.instance() or QApplication([sys.argv[0]])
    use_proxy(proxy)                    # before the first page loads
    # The same frame the wizard shows the Connect page in: confined to the page's origin, off the record.
    # The profile is a child of the window created after the view's holder, so Qt deletes the view first.
    window = QWidget()
    holder = QWidget(window)
    profile = QWebEngineProfile(window)
    view = ConfinedWebView(profile, QUrl(args.url), holder)
    QVBoxLayout(holder).addWidget(view)
    QVBoxLayout(window).addWidget(holder)
    window.resize(900, 700)
    started = time.monotonic()

    def finish(code: int) -> None:
        report["seconds"] = round(time.monotonic() - started, 3)
        print(json.dumps(report), flush=True)
        app.exit(code)

    def on_page_facts(facts_json) -> None:
        report.update(json.loads(facts_json or "{}"))
        if args.png:
            image = view.grab().toImage()
            report["png_saved"] = bool(image.save(args.png))
            report["painted_colours"] = _distinct_colours(image)
        finish(0 if report["ok"] else 1)

    def on_loaded(ok: bool) -> None:
        report["ok"] = bool(ok)
        if not ok:
            finish(1)
            return
        script = ("JSON.stringify({title: document.title,"
                  " text_chars: (document.body ? document.body.innerText.length : 0)})")
        # Let the compositor paint one more frame before the page is inspected and grabbed.
        QTimer.singleShot(200, lambda: view.page().runJavaScript(script, 0, on_page_facts))

    def on_timeout() -> None:
        report["error"] = f"the page did not load within {args.timeout:g} s"
        finish(1)

    view.loadFinished.connect(on_loaded)
    watchdog = QTimer(singleShot=True, interval=int(args.timeout * 1000))
    watchdog.timeout.connect(on_timeout)
    watchdog.start()
    window.show()
    view.load(QUrl(args.url))
    code = app.exec()
    watchdog.stop()
    window.close()
    del view, profile, holder, window  # Qt deletes the holder (view, page), then the profile
    return code


def _distinct_colours(image, limit: int = 16) -> int:
    """How many different colours a coarse sample of the image holds (1 means a blank view)."""
    seen: set[int] = set()
    width, height = image.width(), image.height()
    for y in range(0, height, max(1, height // 40)):
        for x in range(0, width, max(1, width // 40)):
            seen.add(image.pixel(x, y))
            if len(seen) >= limit:
                return len(seen)
    return len(seen)
