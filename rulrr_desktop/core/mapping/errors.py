"""The errors of mapping: a whole export that does not fit its preset (AppError, shown to the staff), and a
single row that cannot be mapped (RowProblem: the row is quarantined with the reason, the rest goes on)."""

from __future__ import annotations

from rulrr_desktop.core.errors import AppError, ConfigError


class MissingColumns(AppError):
    """The export lacks a column that the preset needs."""

    title = "The export does not match its preset"

    def __init__(self, preset: str, columns: list[str]) -> None:
        self.preset = preset
        self.columns = list(columns)
        names = ", ".join(f"'{c}'" for c in columns)
        word = "column" if len(columns) == 1 else "columns"
        super().__init__(f"the {word} {names} that the preset '{preset}' needs {'is' if len(columns) == 1 else 'are'} missing",
                         action="Check that the export is the right kind of file, or pick another preset "
                                "in Settings → Source (`rulrr-desktop presets` lists them).")


class UnknownPreset(ConfigError):
    """`[source] preset` names no built-in preset."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"there is no preset called '{name}' (known: {', '.join(known)})",
                         action="Pick one of the listed presets in Settings → Source.")


class UnrecognisedExport(AppError):
    """`preset = "auto"` and the header matches no preset."""

    title = "The export format was not recognised"

    def __init__(self, headers: tuple[str, ...] | list[str]) -> None:
        shown = ", ".join(list(headers)[:12]) + (", …" if len(headers) > 12 else "")
        if not shown:
            super().__init__("there is no export to look at yet (no file, or a file without a header)",
                             action="Check that the POS writes its export to the folder set in Settings → Source, "
                                    "or pick the preset there.")
            return
        super().__init__(f"its columns ({shown}) match none of the built-in presets",
                         action="Pick the preset in Settings → Source, or use generic-csv with Rulrr's column "
                                "names (`rulrr-desktop presets` lists what each preset expects).")


class RowProblem(ValueError):
    """One row cannot be mapped: it is quarantined with `reason` (plain words) and `where` (file:line)."""

    def __init__(self, reason: str, where: str = "") -> None:
        self.reason = reason
        self.where = where
        super().__init__(reason)
