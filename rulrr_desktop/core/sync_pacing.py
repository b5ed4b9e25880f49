"""How fast the sync engine may talk to Rulrr: an AIMD concurrency window and jittered back-off.

429/503 mean "slow down": the window halves (at most once per cool-down, so a burst of refusals from one
window counts once) and then grows back by about one slot per window of successes, like TCP. Failed orders are
retried after a jittered exponential delay so that a hiccup does not turn into a synchronised stampede.
"""

from __future__ import annotations

import random
import time


class AimdWindow:
    """The number of requests allowed in flight: between 1 and `maximum`, starting at `maximum`."""

    def __init__(self, maximum: int, *, cooldown_s: float = 1.0, clock=time.monotonic) -> None:
        self.maximum = max(1, int(maximum))
        self._value = float(self.maximum)
        self._cooldown = cooldown_s
        self._clock = clock
        self._last_cut = -1e9

    @property
    def limit(self) -> int:
        return max(1, int(self._value))

    def on_success(self) -> None:
        if self._value < self.maximum:
            self._value = min(float(self.maximum), self._value + 1.0 / self._value)

    def on_overload(self) -> None:
        now = self._clock()
        if now - self._last_cut >= self._cooldown:
            self._value = max(1.0, self._value / 2)
            self._last_cut = now


def backoff_delay(attempts: int, *, base_s: float = 0.5, cap_s: float = 60.0, rng: random.Random | None = None) -> float:
    """The delay before attempt `attempts + 1`: base × 2^(attempts-1), capped, with ±50 % jitter."""
    rng = rng or random
    raw = min(cap_s, base_s * (2 ** max(0, min(attempts - 1, 20))))
    return raw * rng.uniform(0.5, 1.5)
