"""One running app per profile: a second launch asks the first to show its window, then exits 0.

Who is first is decided by an exclusive OS lock on a file in the profile's config folder (core.sync_lock: two
launches a moment apart cannot both win, and the OS lets go of it when the process ends, even on a crash; unlike
QLockFile it writes nothing and waits for no disk flush, ~5 ms of start-up, far more on a busy disk). The first
run then listens on a QLocalServer named after the profile (and the user's home, so two stores or two users never
collide); a later launch connects to it and says "show". The first run opens its server once its window is
up (loading QtNetwork costs ~8 ms of start-up), so a later launch keeps trying to connect for a few seconds.
"""

from __future__ import annotations

import time

try:        # hashlib's own blake2b, without hashlib's OpenSSL bindings (~3 ms at every start)
    from _blake2 import blake2b
except ImportError:     # another Python implementation
    from hashlib import blake2b

from PySide6.QtCore import QObject, Signal

from rulrr_desktop.core.config import AppPaths
from rulrr_desktop.core.errors import AppError
from rulrr_desktop.core.sync_lock import SyncBusy, SyncLock

SHOW = b"show\n"
LOCK_FILE = "app.lock"
ANSWER_WAIT_S = 10.0     # how long a later launch waits for the first run's server to answer


class AlreadyRunning(AppError):
    title = "Rulrr Desktop is already running for this store"
    action = "Look for its icon in the tray. If it does not respond, restart the computer."


def server_name(paths: AppPaths) -> str:
    digest = blake2b(str(paths.config_dir).encode(), digest_size=8).hexdigest()
    return f"rulrr-desktop-{paths.profile}-{digest}"


def claim_profile(paths: AppPaths) -> SyncLock | None:
    """This profile's lock, held until the app ends (`release()`); None when another running app of the profile
    holds it."""
    try:
        return SyncLock(paths.config_dir / LOCK_FILE).acquire()
    except SyncBusy:
        return None


def ask_running_instance_to_show(paths: AppPaths, timeout_ms: int = 500, *, wait_s: float = 0.0) -> bool:
    """True when another instance of this profile answered (it will show its window). Keeps trying to connect
    for `wait_s` seconds (the first run may still be opening its server)."""
    from PySide6.QtNetwork import QLocalSocket
    deadline = time.monotonic() + wait_s
    while True:
        socket = QLocalSocket()
        socket.connectToServer(server_name(paths))
        if socket.waitForConnected(timeout_ms):
            socket.write(SHOW)
            socket.waitForBytesWritten(timeout_ms)
            socket.waitForReadyRead(timeout_ms)   # the first instance acknowledges
            socket.disconnectFromServer()
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.1)     # the first run's server is not up yet: try again shortly


class SingleInstance(QObject):
    """Listens for later launches of the same profile; emits `showRequested` for each."""

    showRequested = Signal()

    def __init__(self, paths: AppPaths, parent: QObject | None = None) -> None:
        from PySide6.QtNetwork import QLocalServer
        super().__init__(parent)
        self.name = server_name(paths)
        self.server = QLocalServer(self)
        self.server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not self.server.listen(self.name):
            QLocalServer.removeServer(self.name)   # a crashed run left its socket behind
            self.server.listen(self.name)
        self.server.newConnection.connect(self._accept)

    def _accept(self) -> None:
        while self.server.hasPendingConnections():
            socket = self.server.nextPendingConnection()
            socket.readyRead.connect(lambda s=socket: self._read(s))
            socket.disconnected.connect(socket.deleteLater)

    def _read(self, socket) -> None:
        if bytes(socket.readAll().data()).startswith(SHOW.strip()):
            socket.write(b"ok\n")
            socket.flush()
            self.showRequested.emit()

    def close(self) -> None:
        self.server.close()
