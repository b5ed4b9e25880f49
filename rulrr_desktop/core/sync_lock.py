"""One sync at a time per profile, across processes (the tray app and a `rulrr-desktop sync` in a terminal).

Why it matters: a pass treats every order it finds `in_flight` as "outcome unknown" and settles it with a GET.
If another process were sending that very order at the same moment, the GET could answer 404 before the other
POST lands, and the order would be sent twice. An exclusive OS file lock (released by the OS when the process
dies, even on SIGKILL) rules that out.
"""

from __future__ import annotations

import os
from pathlib import Path

from rulrr_desktop.core.errors import AppError


class SyncBusy(AppError):
    title = "Another copy of Rulrr Desktop is sending this store's orders"
    action = "Nothing to do: it carries on, and this copy tries again at its next pass."


class SyncLock:
    """An exclusive, non-blocking lock on `path`. `acquire()` raises SyncBusy when another process holds it."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    def acquire(self) -> "SyncLock":
        if self._fd is not None:
            return self
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            _lock(fd)
        except OSError:
            os.close(fd)
            raise SyncBusy(f"the sync state {self.path.parent} is in use by another process") from None
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            try:
                _unlock(self._fd)
            finally:
                os.close(self._fd)
                self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def __enter__(self) -> "SyncLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


if os.name == "nt":  # pragma: no cover - exercised on Windows builds
    import msvcrt

    def _lock(fd: int) -> None:
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
else:
    import fcntl

    def _lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
