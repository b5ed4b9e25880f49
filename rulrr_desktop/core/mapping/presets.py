"""The built-in presets, by key, and `recognise()`: the preset an export's header looks like (for `auto`),
with a confidence the UI shows for confirmation."""

from __future__ import annotations

from dataclasses import dataclass

from rulrr_desktop.core.mapping import clover, generic, loyverse, shopify, square
from rulrr_desktop.core.mapping.errors import UnknownPreset
from rulrr_desktop.core.mapping.preset import Preset

PRESETS: dict[str, Preset] = {p.key: p for p in (*square.PRESETS, *shopify.PRESETS, *loyverse.PRESETS,
                                                 *clover.PRESETS, *generic.PRESETS)}
# Names an older config may use for a preset.
ALIASES = {"square": "square-item-sales", "shopify": "shopify-orders", "loyverse": "loyverse-receipts",
           "clover": "clover-orders", "generic": "generic-csv", "sql": "generic-sql"}
AUTO = "auto"


@dataclass(frozen=True)
class Guess:
    """What `auto` made of a header: the preset, how sure (0..1), and the runner-up for the UI."""

    preset: Preset
    confidence: float
    runner_up: str = ""


def get_preset(name: str) -> Preset:
    key = ALIASES.get(name.strip().lower(), name.strip().lower())
    try:
        return PRESETS[key]
    except KeyError:
        raise UnknownPreset(name, [*PRESETS, AUTO]) from None


def recognise(headers: tuple[str, ...] | list[str], *, sql: bool = False) -> Guess | None:
    """The best-matching preset for `headers` (all its required columns present; scored by how many of its
    characteristic columns are there), or None. SQL sources always get generic-sql."""
    if sql:
        return Guess(PRESETS["generic-sql"], 1.0)
    present = {h.strip() for h in headers}
    scored = []
    for preset in PRESETS.values():
        if preset.key == "generic-sql" or preset.missing(tuple(present)):
            continue
        char = [c for c in preset.characteristic if c not in preset.required]
        hits = sum(1 for c in char if c in present)
        total = len(char) + len(preset.required)
        score = (hits + len(preset.required)) / total if total else 0.0
        # an export with many columns the preset does not know is a weaker match
        extra = len(present - set(preset.required) - set(preset.characteristic))
        score *= 1.0 - min(0.5, extra / max(1, 4 * len(present)))
        scored.append((score, preset.key))
    if not scored:
        return None
    scored.sort(reverse=True)
    best_score, best = scored[0]
    runner = scored[1][1] if len(scored) > 1 else ""
    return Guess(PRESETS[best], round(best_score, 2), runner)
