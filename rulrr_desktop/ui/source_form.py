"""Choosing the POS export (wizard and settings): a CSV file, a folder of exports or a SQLite file; the format
(preset) recognised and changeable; a preview of the first orders exactly as they will be sent, with the
problems said in plain words.

The preview reads the whole export, which can take seconds, so it runs off the UI thread (ui.tasks) and the
newest request wins.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QFileDialog, QFormLayout, QHBoxLayout,
                               QHeaderView, QLabel, QLineEdit, QPushButton, QTableWidget, QTableWidgetItem,
                               QVBoxLayout, QWidget)

from rulrr_desktop.core.config import SourceSettings
from rulrr_desktop.core.status_text import ErrorInfo, count
from rulrr_desktop.ui.backend import Backend, PreviewResult
from rulrr_desktop.ui.tasks import run_in_background

SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3", ".db3")


def kind_of(path: str) -> str:
    return "sqlite" if Path(path).suffix.lower() in SQLITE_SUFFIXES else "csv"


class SourceForm(QWidget):
    previewReady = Signal(object)      # PreviewResult
    changed = Signal()

    def __init__(self, backend: Backend, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backend = backend
        self.result: PreviewResult | None = None
        self._previewed: tuple = ("", None)
        self._request = 0
        layout = QVBoxLayout(self)
        form = QFormLayout()
        path_row = QHBoxLayout()
        self.path_edit = QLineEdit()
        self.path_edit.setPlaceholderText("Choose the file or folder your POS exports to")
        self.path_edit.setAccessibleName("POS export location")
        self.file_button = QPushButton("Choose &file…")
        self.folder_button = QPushButton("Choose f&older…")
        self.file_button.clicked.connect(self.choose_file)
        self.folder_button.clicked.connect(self.choose_folder)
        path_row.addWidget(self.path_edit, 1)
        path_row.addWidget(self.file_button)
        path_row.addWidget(self.folder_button)
        caption = QLabel("&Export:")
        caption.setBuddy(self.path_edit)
        form.addRow(caption, path_row)
        self.preset_combo = QComboBox()
        self.preset_combo.setAccessibleName("POS format")
        for name, title in backend.presets():
            self.preset_combo.addItem(title, name)
        if self.preset_combo.findData("auto") < 0:
            self.preset_combo.insertItem(0, "Recognise automatically", "auto")
        preset_caption = QLabel("POS &format:")
        preset_caption.setBuddy(self.preset_combo)
        form.addRow(preset_caption, self.preset_combo)
        layout.addLayout(form)
        self.recognised = QLabel()
        self.recognised.setWordWrap(True)
        layout.addWidget(self.recognised)
        self.table = QTableWidget(0, 5)
        self.table.setHorizontalHeaderLabels(["Order", "Date", "Total", "Customer", "Items"])
        self.table.setAccessibleName("The first orders, as they will be sent to Rulrr")
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.table.setMinimumHeight(150)
        layout.addWidget(self.table, 1)
        self.problems = QLabel()
        self.problems.setObjectName("problem")
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.problems.setAccessibleName("Problems found in the export")
        layout.addWidget(self.problems)
        self.path_edit.editingFinished.connect(self._path_edited)
        self.preset_combo.activated.connect(lambda _=None: self.refresh())

    # --- choosing --------------------------------------------------------------------------------------------
    def choose_file(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose your POS export", self.path_edit.text(),
                                              "POS exports (*.csv *.txt *.db *.sqlite *.sqlite3 *.db3);;All files (*)")
        if path:
            self.set_path(path)

    def choose_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Choose the folder your POS exports to", self.path_edit.text())
        if path:
            self.set_path(path)

    def set_path(self, path: str, preset: str | None = None) -> None:
        self.path_edit.setText(path)
        if preset:
            index = self.preset_combo.findData(preset)
            if index >= 0:
                self.preset_combo.setCurrentIndex(index)
        self.refresh()

    def source(self) -> SourceSettings:
        """What to save. A recognised format is saved by name once the preview confirmed it, so a later
        export with an odd header is not read as something else."""
        path = self.path_edit.text().strip()
        preset = self.preset_combo.currentData() or "auto"
        if preset == "auto" and self.result is not None and not self.result.error and self.result.preset:
            preset = self.result.preset
        return SourceSettings(kind=kind_of(path) if path else "", path=path, preset=preset)

    # --- preview ---------------------------------------------------------------------------------------------
    def _path_edited(self) -> None:
        # editingFinished also fires when the field merely loses focus: re-read only what changed
        if (self.path_edit.text().strip(), self.preset_combo.currentData()) != self._previewed:
            self.refresh()

    def refresh(self) -> None:
        self.result = None
        self._previewed = (self.path_edit.text().strip(), self.preset_combo.currentData())
        source = self.source()
        self.changed.emit()
        if not source.path:
            return
        self._request += 1
        request = self._request
        self.recognised.setText("Reading the export…")
        self.problems.clear()
        self.table.setRowCount(0)
        run_in_background(lambda: self.backend.preview(source, 20),
                          lambda result: self._show(request, result),
                          lambda error: self._failed(request, error), parent=self)

    def _failed(self, request: int, error: ErrorInfo) -> None:
        if request == self._request:
            self._show(request, PreviewResult(self.source().preset,
                                              error=f"{error.title}: {error.detail}. {error.action}"))

    def _show(self, request: int, result: PreviewResult) -> None:
        if request != self._request:
            return   # an older preview finished after a newer request
        self.result = result
        if result.error:
            self.recognised.setText("This export cannot be read.")
            self.problems.setText(result.error)
            self.previewReady.emit(result)
            return
        index = self.preset_combo.findData(result.preset)
        title = self.preset_combo.itemText(index) if index >= 0 else result.preset
        self.recognised.setText(f"Recognised as <b>{title}</b>: {count(result.orders, 'order')} found. "
                                f"The first ones, exactly as they will be sent:")
        self.table.setRowCount(len(result.rows))
        for r, row in enumerate(result.rows):
            for c, value in enumerate((row.order_id, row.date, row.total, row.customer, str(row.items))):
                item = QTableWidgetItem(value)
                if c in (2, 4):
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.table.setItem(r, c, item)
        notes = []
        if result.problems:
            first = result.problems[0]
            notes.append(f"{count(len(result.problems), 'row')} cannot be sent and will be listed under "
                         f"“need a fix”, e.g. {first.where}: {first.reason}.")
        if result.skipped:
            notes.append(f"{count(result.skipped, 'row')} skipped on purpose (cancelled, open or not a sale).")
        if not result.orders and not result.problems:
            notes.append("No orders found yet. If the export is empty, that is fine: new sales are sent as "
                         "they appear.")
        self.problems.setText(" ".join(notes))
        self.problems.setMinimumHeight(self.problems.heightForWidth(max(200, self.width() - 24)))
        self.previewReady.emit(result)

    def ready(self) -> bool:
        return bool(self.result and not self.result.error)
