"""One running app per profile: a second launch asks the first to show its window, then exits 0.

A QLocalServer named after the profile (and the user's home, so two stores or two users never collide). If
the name is taken by a crashed run (nobody answers), the stale socket is removed and this run takes over.
"""

from __future__ import annotations

try:        # hashlib's own blake2b, without hashlib's OpenSSL bindings (~3 ms at every start)
    from _blake2 import blake2b
except ImportError:     # another Python implementation
    from hashlib import blake2b

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from rulrr_desktop.core.config import AppPaths

SHOW = b"show\n"


def server_name(paths: AppPaths) -> str:
    digest = blake2b(str(paths.config_dir).encode(), digest_size=8).hexdigest()
    return f"rulrr-desktop-{paths.profile}-{digest}"


def ask_running_instance_to_show(paths: AppPaths, timeout_ms: int = 500) -> bool:
    """True when another instance of this profile answered (it will show its window)."""
    socket = QLocalSocket()
    socket.connectToServer(server_name(paths))
    if not socket.waitForConnected(timeout_ms):
        return False
    socket.write(SHOW)
    socket.waitForBytesWritten(timeout_ms)
    socket.waitForReadyRead(timeout_ms)   # the first instance acknowledges
    socket.disconnectFromServer()
    return True


class SingleInstance(QObject):
    """Listens for later launches of the same profile; emits `showRequested` for each."""

    showRequested = Signal()

    def __init__(self, paths: AppPaths, parent: QObject | None = None) -> None:
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

    def _read(self, socket: QLocalSocket) -> None:
        if bytes(socket.readAll().data()).startswith(SHOW.strip()):
            socket.write(b"ok\n")
            socket.flush()
            self.showRequested.emit()

    def close(self) -> None:
        self.server.close()
