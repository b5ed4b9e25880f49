"""`rulrr-desktop presets`: the built-in POS export presets and what each expects (key columns, grain)."""

from __future__ import annotations

import json

HELP = "list the built-in POS export presets"


def add_arguments(parser) -> None:
    parser.add_argument("--json", action="store_true", help="print the presets as JSON")


def run(args) -> int:
    from rulrr_desktop.core.mapping.presets import PRESETS
    if args.json:
        print(json.dumps([{"key": p.key, "title": p.title, "grain": p.grain, "required": list(p.required),
                           "orderId": p.order_id, "notes": p.notes} for p in PRESETS.values()], indent=2))
        return 0
    print("Built-in presets (set [source] preset in config.toml; \"auto\" recognises the export by its header):\n")
    for p in PRESETS.values():
        print(f"{p.key}  —  {p.title}")
        print(f"    one row per {p.grain}" + (f", grouped by {p.order_id!r}" if p.group_by else ""))
        print(f"    needs: {', '.join(p.required)}")
        print(f"    {p.notes}\n")
    print("auto  —  recognise the preset from the export's header (shown for confirmation in `preview`)")
    return 0
