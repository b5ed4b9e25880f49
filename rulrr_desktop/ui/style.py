"""The app's look: the shipped style sheet, and a dark palette for dark desktops (and the screenshots)."""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

from rulrr_desktop.core.config import RESOURCES


def apply_style(app: QApplication) -> None:
    """The platform's own style (native look, and no extra start-up cost) with our cards on top."""
    app.setStyleSheet((RESOURCES / "style" / "app.qss").read_text(encoding="utf-8"))


def dark_palette() -> QPalette:
    p = QPalette()
    R = QPalette.ColorRole
    for role, colour in ((R.Window, "#1f2329"), (R.WindowText, "#e6e8eb"), (R.Base, "#2a2f36"),
                         (R.AlternateBase, "#313740"), (R.Text, "#e6e8eb"), (R.Button, "#2f353d"),
                         (R.ButtonText, "#e6e8eb"), (R.Highlight, "#2563eb"), (R.HighlightedText, "#ffffff"),
                         (R.ToolTipBase, "#2a2f36"), (R.ToolTipText, "#e6e8eb"), (R.Mid, "#4b5563"),
                         (R.PlaceholderText, "#9aa3ad"), (R.Link, "#7fb0ff")):
        p.setColor(role, QColor(colour))
    p.setColor(QPalette.ColorGroup.Disabled, R.Text, QColor("#7b838c"))
    p.setColor(QPalette.ColorGroup.Disabled, R.ButtonText, QColor("#7b838c"))
    p.setColor(QPalette.ColorGroup.Disabled, R.WindowText, QColor("#7b838c"))
    return p
