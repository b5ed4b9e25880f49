"""Orders delivered per day over the last 30 days, as plain bars.

Drawn with QPainter rather than QtCharts: it is 30 bars, and loading QtCharts costs start-up time the tray
app should not pay.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPalette
from PySide6.QtWidgets import QSizePolicy, QWidget


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
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pal = self.palette()
        text = pal.color(QPalette.ColorRole.WindowText)
        muted = QColor(text)
        muted.setAlpha(140)
        fm = painter.fontMetrics()
        left, bottom, top = fm.horizontalAdvance("00,000") + 8, fm.height() + 6, fm.height() + 4
        area = QRectF(left, top, self.width() - left - 6, self.height() - top - bottom)
        days = self.days
        if not days:
            painter.setPen(muted)
            painter.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, "No orders sent yet")
            return
        peak = max(1, max(n for _, n in days))
        painter.setPen(muted)
        painter.drawText(QRectF(0, area.top() - fm.height() / 2, left - 6, fm.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, f"{peak:,}")
        painter.drawText(QRectF(0, area.bottom() - fm.height() / 2, left - 6, fm.height()),
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, "0")
        grid = QColor(text)
        grid.setAlpha(40)
        painter.setPen(grid)
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.drawLine(area.topLeft(), area.topRight())
        slot = area.width() / len(days)
        bar = QColor("#0f766e") if pal.color(QPalette.ColorRole.Window).lightness() > 128 else QColor("#2dd4bf")
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(bar)
        for i, (_, n) in enumerate(days):
            h = area.height() * n / peak
            painter.drawRoundedRect(QRectF(area.left() + i * slot + slot * 0.15, area.bottom() - h,
                                           slot * 0.7, h), 2, 2)
        painter.setPen(muted)
        first, last = days[0][0], days[-1][0]
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), fm.height() + 2),
                         Qt.AlignmentFlag.AlignLeft, f"{first.day} {first.strftime('%b')}")
        painter.drawText(QRectF(area.left(), area.bottom() + 2, area.width(), fm.height() + 2),
                         Qt.AlignmentFlag.AlignRight, "Today" if last == date.today() else
                         f"{last.day} {last.strftime('%b')}")
