"""The AIMD window and the jittered back-off the engine paces itself with."""

import random

from rulrr_desktop.core.sync_pacing import AimdWindow, backoff_delay


def test_the_window_halves_on_overload_once_per_cooldown_and_grows_back():
    now = [0.0]
    window = AimdWindow(16, cooldown_s=1.0, clock=lambda: now[0])
    assert window.limit == 16
    window.on_overload()
    window.on_overload()                      # the same burst of refusals counts once
    assert window.limit == 8
    now[0] = 1.5
    window.on_overload()
    assert window.limit == 4
    for _ in range(4 + 5 + 6):                # about one slot per window of successes
        window.on_success()
    assert 6 <= window.limit <= 7
    for _ in range(500):
        window.on_success()
    assert window.limit == 16                 # recovered, never above the maximum
    for i in range(10):
        now[0] += 2
        window.on_overload()
    assert window.limit == 1                  # never below one


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(1)
    first = [backoff_delay(1, base_s=0.5, cap_s=60, rng=rng) for _ in range(200)]
    assert 0.25 <= min(first) < max(first) <= 0.75 and len({round(d, 3) for d in first}) > 100
    assert all(2.0 <= backoff_delay(4, base_s=0.5, cap_s=60, rng=rng) <= 6.0 for _ in range(50))
    assert all(backoff_delay(50, base_s=0.5, cap_s=60, rng=rng) <= 90 for _ in range(50))
