"""The tail of the log file, refreshed while the window is open (the log is already redacted when written)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtGui import QDesktopServices, QFontDatabase, QTextCursor
from PySide6.QtCore import QUrl
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

TAIL_BYTES = 64_000


def read_tail(path: Path, limit: int = TAIL_BYTES) -> str:
    """The last `limit` bytes of the log, starting at a whole line (a small read: fine on the UI thread)."""
    if not path.exists():
        return "Nothing has been logged yet."
    with path.open("rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - limit))
        data = f.read()
    text = data.decode("utf-8", "replace")
    if size > limit:
        text = text.split("\n", 1)[-1]
    return text


class LogView(QDialog):
    def __init__(self, log_file: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.log_file = log_file
        self.setWindowTitle("Log")
        self.resize(760, 420)
        layout = QVBoxLayout(self)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setAccessibleName("Log")
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        folder = QPushButton("Open log &folder")
        folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file.parent))))
        buttons.addButton(folder, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self._mtime = -1.0
        self.timer = QTimer(self)
        self.timer.setInterval(2000)
        self.timer.timeout.connect(self.reload)
        self.reload()

    def showEvent(self, event) -> None:  # noqa: N802
        self.timer.start()
        super().showEvent(event)

    def hideEvent(self, event) -> None:  # noqa: N802
        self.timer.stop()
        super().hideEvent(event)

    def reload(self) -> None:
        mtime = self.log_file.stat().st_mtime if self.log_file.exists() else 0.0
        if mtime == self._mtime:
            return
        self._mtime = mtime
        self.text.setPlainText(read_tail(self.log_file))
        self.text.moveCursor(QTextCursor.MoveOperation.End)
