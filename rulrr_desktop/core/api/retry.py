"""When a failed call may be sent again, and after how long: jittered exponential back-off, Retry-After honoured.

Which calls are safe to repeat is the caller's decision (see `Repeat`); this module only knows which failures
are worth another try under each rule. It is a few lines on purpose: the sleep is injected, so tests run
without waiting and the sync engine can make it interruptible.
"""

from __future__ import annotations

import enum
import random
from dataclasses import dataclass, field

from rulrr_desktop.core.api import errors


class Repeat(enum.Enum):
    """How safe a call is to send again."""

    NEVER = "never"            # POST orders, create integration, token exchange: raise at once
    IF_NOT_SENT = "not_sent"   # single-use targets: only when the request certainly was not processed
    ALWAYS = "always"          # GET, the store PUT, status polling: any transient failure


@dataclass
class Backoff:
    """Delays for retry number 0, 1, 2, ...: `base`·2ⁿ with equal jitter, capped; Retry-After wins when given."""

    retries: int = 3
    base: float = 0.5
    max_delay: float = 30.0
    max_retry_after: float = 60.0
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, error: errors.RulrrError, attempt: int, repeat: Repeat) -> float | None:
        """Seconds to wait before trying again after `error` on try `attempt` (0-based), or None to give up."""
        if attempt >= self.retries or not _worth_repeating(error, repeat):
            return None
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.max_retry_after)
        ceiling = min(self.max_delay, self.base * (2 ** attempt))
        return self.rng.uniform(ceiling / 2, ceiling)


def _worth_repeating(error: errors.RulrrError, repeat: Repeat) -> bool:
    if repeat is Repeat.NEVER:
        return False
    if repeat is Repeat.IF_NOT_SENT:
        # A 429, a 503 and a refused connection all say "not processed"; a timeout or a 500 does not.
        return ((isinstance(error, errors.NetworkError) and not isinstance(error, errors.OutcomeUnknown))
                or isinstance(error, errors.RateLimited)
                or (isinstance(error, errors.ServerError) and error.status == 503))
    return isinstance(error, (errors.NetworkError, errors.RateLimited, errors.ServerError))
