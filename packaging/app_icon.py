"""Renders the app's SVG icon to a PNG for the Windows and macOS executables (PyInstaller, with Pillow,
turns a PNG into the .ico / .icns those need; it cannot read SVG)."""

from __future__ import annotations

from pathlib import Path


def render_png(svg: Path, png: Path, size: int = 512) -> Path:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    app = QGuiApplication.instance() or QGuiApplication(["render-icon", "-platform", "offscreen"])  # noqa: F841
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    QSvgRenderer(str(svg)).render(painter)
    painter.end()
    png.parent.mkdir(parents=True, exist_ok=True)
    if not image.save(str(png)):
        raise RuntimeError(f"could not write {png}")
    return png
