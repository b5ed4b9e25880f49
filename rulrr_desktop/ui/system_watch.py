"""Notices what happens to the computer: the network going and coming back (QNetworkInformation where the
platform has a backend) and waking from sleep (a wall-clock jump between two timer ticks, which works on
every OS without native hooks)."""

from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, QTimer, Signal

log = logging.getLogger(__name__)


class SystemWatch(QObject):
    onlineChanged = Signal(bool)
    resumed = Signal()

    TICK_MS = 5000
    SLEEP_GAP_S = 30.0

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.online = True
        self._info = None
        self._last_wall = time.time()
        self._last_mono = time.monotonic()
        self._timer = QTimer(self)
        self._timer.setInterval(self.TICK_MS)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._timer.start()
        try:
            from PySide6.QtNetwork import QNetworkInformation
            if QNetworkInformation.loadDefaultBackend() and QNetworkInformation.instance() is not None:
                self._info = QNetworkInformation.instance()
                self._info.reachabilityChanged.connect(self._reachability)
                self._reachability(self._info.reachability())
        except Exception:   # no backend on this platform: assume online, failures tell us otherwise
            log.info("network information is not available on this platform")

    def _reachability(self, reachability) -> None:
        from PySide6.QtNetwork import QNetworkInformation
        R = QNetworkInformation.Reachability
        online = reachability not in (R.Disconnected,)
        if online != self.online:
            self.online = online
            self.onlineChanged.emit(online)

    def _tick(self) -> None:
        wall, mono = time.time(), time.monotonic()
        # monotonic time stops during sleep on most OSes, the wall clock does not
        gap = (wall - self._last_wall) - (mono - self._last_mono)
        self._last_wall, self._last_mono = wall, mono
        if gap > self.SLEEP_GAP_S:
            log.info("woke up after about %.0f s of sleep", gap)
            self.resumed.emit()

    def stop(self) -> None:
        self._timer.stop()
