"""Orders delivered per day over the last 30 days, as plain bars.

Drawn with QPainter rather than QtCharts: it is 30 bars, and loading QtCharts costs start-up time the tray
app should not pay. For the same reason it names no `Qt.*` enum: the first touch of PySide6's `Qt` namespace
builds all of its enums (~25 ms while the window opens); text flags are the plain ints QPainter.drawText takes.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QBrush, QColor, QPainter, QPainterPath, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget

# Qt::AlignmentFlag values (QPainter.drawText takes `int flags`)
ALIGN_LEFT, ALIGN_RIGHT, ALIGN_HCENTER = 0x1, 0x2, 0x4
ALIGN_VCENTER = 0x80
ALIGN_CENTER = ALIGN_HCENTER | ALIGN_VCENTER
MUTED_OPACITY, GRID_OPACITY = 140 / 255, 40 / 255   # labels and grid lines: the text colour, lighter


class DailyChart(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.days: tuple[tuple[date, int], ...] = ()
        self.setMinimumHeight(140)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.setAccessibleName("Orders sent per day, last 30 days")

    def sizeHint(self) -> QSize:
        return QSize(520, 160)

    def set_days(self, days: tuple[tuple[date, int], ...]) -> None:
        if days != self.days:
            self.days = days
            total = sum(n for _, n in days)
            self.setAccessibleDescription(f"{total:,} orders in the last {len(days)} days")
            self.update()

    def paintEvent(self, event) -> None:  # noqa: N802 (Qt name)
        # Every overload of QPainter.setPen/setBrush and of QBrush() takes a `Qt.*` enum, so calling one builds
        # the Qt namespace: the painter keeps the pen it starts with on a widget (the WindowText colour) and
        # lighter marks come from the opacity; the bars' brush comes out of a palette.
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        fm = painter.fontMetrics()
        left, bottom, top = fm.horizontalAdvance("00,000") + 8, fm.height() + 6, fm.height() + 4
        area = QRectF(left, top, self.width() - left - 6, self.height() - top - bottom)
        days = self.days
        painter.setOpacity(MUTED_OPACITY)
        if not days:
            painter.drawText(self.rect(), ALIGN_CENTER, "No orders sent yet")
            return
        peak = max(1, max(n for _, n in days))
        painter.drawText(QRectF(0, area.top() - fm.height() / 2, left - 6, fm.height()),
                         ALIGN_RIGHT | ALIGN_VCENTER, f"{peak:,}")
        painter.drawText(QRectF(0, area.bottom() - fm.height() / 2, left - 6, fm.height()),
                         ALIGN_RIGHT | ALIGN_VCENTER, "0")
        painter.setOpacity(GRID_OPACITY)
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawLine(area.topLeft(), area.topRight())
        painter.setOpacity(1.0)
        slot = area.width() / len(days)
        bar = "#0f766e" if pal.color(QPalette.ColorRole.Window).lightness() > 128 else "#2dd4bf"
        bars = QPainterPath()              # filled without an outline
        for i, (_, n) in enumerate(days):
            h = area.height() * n / peak
            bars.addRoundedRect(QRectF(area.left() + i * slot + slot * 0.15, area.bottom() - h, slot * 0.7, h),
                                2, 2)
        painter.fillPath(bars, _solid_brush(bar))
        painter.setOpacity(MUTED_OPACITY)
        first, last = days[0][0], days[-1][0]
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), fm.height() + 2),
                         ALIGN_LEFT, f"{first.day} {first.strftime('%b')}")
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), fm.height() + 2),
                         ALIGN_RIGHT, "Today" if last == date.today() else
                         f"{last.day} {last.strftime('%b')}")


def _solid_brush(colour: str) -> QBrush:
    """A solid brush of `colour`, taken from a palette (QBrush's constructors would build the Qt namespace)."""
    palette = QPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor(colour))
    return palette.brush(QPalette.ColorRole.Window)
