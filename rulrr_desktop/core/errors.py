"""The base of every error the staff may see: a plain title, what happened, and what to do about it.

Every typed error in the app derives from `AppError`, so the tray, the window and the CLI can show any of them
the same way. Messages never carry a secret (tokens, client secret): build them from redacted values only.
"""

from __future__ import annotations


class AppError(Exception):
    """An error with a title and an action for the store staff.

    `title` is a short sentence ("Rulrr refused the store profile"), `detail` says what exactly went wrong
    ("the country code is missing"), `action` says what to do ("Open Settings → Store").
    """

    title: str = "Something went wrong"
    action: str = "Try again. If it keeps happening, use Help → Export diagnostics and send the file to support."

    def __init__(self, detail: str = "", *, title: str | None = None, action: str | None = None) -> None:
        if title is not None:
            self.title = title
        if action is not None:
            self.action = action
        self.detail = detail
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """One line: "<title>: <detail>. <action>" (parts that are empty are left out)."""
        head = f"{self.title}: {self.detail}" if self.detail else self.title
        head = head.rstrip(".")
        return f"{head}. {self.action}" if self.action else f"{head}."

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class ConfigError(AppError):
    """The configuration is missing something or cannot be read."""

    title = "The settings are incomplete"
    action = "Open Settings and fill in what is missing."
