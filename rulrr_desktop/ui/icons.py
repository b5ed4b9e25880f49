"""The app's SVG icons (resources/icons), loaded once per name."""

from __future__ import annotations

from functools import lru_cache

from PySide6.QtGui import QIcon

from rulrr_desktop.core.config import RESOURCES
from rulrr_desktop.core.status_text import SyncState

ICONS = RESOURCES / "icons"


@lru_cache(maxsize=None)
def icon(name: str) -> QIcon:
    """resources/icons/<name> (e.g. "app.svg", "tray-error.svg")."""
    return QIcon(str(ICONS / name))


def state_icon(state: SyncState) -> QIcon:
    return icon(state.icon_name)


def app_icon() -> QIcon:
    return icon("app.svg")
