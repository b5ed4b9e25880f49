"""The list of orders that could not be sent: where each is in the export, why, and what to do about it."""

from __future__ import annotations

from PySide6.QtWidgets import (QAbstractItemView, QDialog, QDialogButtonBox, QHeaderView, QLabel,
                               QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget)

from rulrr_desktop.core.status_text import ProblemRow

FIX = ("Fix these rows in your POS (or in the export file) and they are sent on the next sync. If many rows show "
       "the same reason, the export format may be wrong: check File → Settings → Data source.")


class ProblemsDialog(QDialog):
    def __init__(self, problems: tuple[ProblemRow, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Orders that need a fix")
        self.resize(680, 380)
        layout = QVBoxLayout(self)
        intro = QLabel(f"{len(problems):,} rows of your export could not be sent to Rulrr. {FIX}")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.table = QTableWidget(len(problems), 2)
        self.table.setAccessibleName("Orders that need a fix")
        self.table.setHorizontalHeaderLabels(["Where in the export", "What is wrong"])
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for row, problem in enumerate(problems):
            self.table.setItem(row, 0, QTableWidgetItem(problem.where))
            self.table.setItem(row, 1, QTableWidgetItem(problem.reason))
        layout.addWidget(self.table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
