"""`rulrr-desktop status [--json]`: the connected store, token expiry, the source, the last sync, the counts
(delivered / pending / quarantined, with reasons) and the last error. Reads only; always exits 0."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from typing import Any

HELP = "show the connected store, the source and how sync is doing"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")
    parser.add_argument("--limit", type=int, default=10, help="how many quarantined rows to list (default 10)")


def collect(paths, limit: int = 10) -> dict[str, Any]:
    """Everything `status` shows, as plain data (the desktop app may show the same)."""
    from rulrr_desktop.core import connection
    from rulrr_desktop.core.config import load_settings
    from rulrr_desktop.core.errors import AppError
    from rulrr_desktop.core.ledger import Ledger, LedgerError

    out: dict[str, Any] = {"profile": paths.profile, "connection": connection.describe(paths)}
    try:
        settings = load_settings(paths)
        out["source"] = {"kind": settings.source.kind or "csv", "path": settings.source.path,
                         "preset": settings.source.preset}
        out["rulrr"] = {"api_url": settings.rulrr.api_url}
    except AppError as exc:
        out["source"] = {"error": str(exc)}
    sync: dict[str, Any] = {"delivered": 0, "pending": 0, "in_flight": 0, "quarantined": 0, "delivered_today": 0,
                            "last_sync_at": None, "last_complete_sync_at": None, "last_error": None,
                            "quarantine": []}
    if paths.ledger_file.exists():
        try:
            with Ledger(paths.ledger_file, readonly=True) as ledger:
                c = ledger.counts()
                sync.update(delivered=c.delivered, pending=c.pending, in_flight=c.in_flight,
                            quarantined=c.quarantined, rejected_by_rulrr=c.rejected,
                            unreadable_rows=c.quarantined_rows, changed_after_delivery=c.changed,
                            delivered_today=ledger.delivered_on(),
                            last_sync_at=_iso(ledger.get("last_sync_at")),
                            last_complete_sync_at=_iso(ledger.get("last_complete_sync_at")),
                            last_error=ledger.get("last_error") or None,
                            last_error_at=_iso(ledger.get("last_error_at")),
                            quarantine=[{"where": e.where, "order_id": e.order_id, "reason": e.reason,
                                         "by": "rulrr" if e.by_rulrr else "mapping"}
                                        for e in ledger.quarantine(limit)])
        except LedgerError as exc:
            sync["last_error"] = str(exc)
    out["sync"] = sync
    return out


def _iso(value: str) -> str | None:
    return datetime.fromtimestamp(float(value)).astimezone().isoformat(timespec="seconds") if value else None


def run(args: argparse.Namespace) -> int:
    data = collect(args.paths, max(0, args.limit))
    if args.json:
        print(json.dumps(data, indent=2))
        return 0
    conn, src, s = data["connection"], data.get("source", {}), data["sync"]
    if conn.get("connected"):
        store = f"{conn.get('store_name') or ''} ({conn.get('store_id')})".strip()
        expiry = conn.get("token_expires_at") or "unknown"
        print(f"Store:        {store}" + ("  — reconnect needed" if conn.get("needs_reconnect") else ""))
        print(f"Access key:   expires {expiry}"
              + (f" ({conn['token_days_left']} days left)" if conn.get("token_days_left") is not None else ""))
    else:
        print("Store:        not connected (run `rulrr-desktop connect`)")
    if "error" in src:
        print(f"Source:       {src['error']}")
    else:
        print(f"Source:       {src.get('kind')} {src.get('path') or '(not set)'} (preset {src.get('preset')})")
    print(f"Last sync:    {s['last_sync_at'] or 'never'}")
    print(f"Orders:       {s['delivered']:,} delivered ({s['delivered_today']:,} today), "
          f"{s['pending'] + s['in_flight']:,} pending, {s['quarantined']:,} quarantined")
    if s.get("changed_after_delivery"):
        print(f"              {s['changed_after_delivery']:,} delivered orders were changed in the POS later "
              "(Rulrr cannot take updates)")
    for q in s["quarantine"]:
        where = q["where"] or q["order_id"]
        print(f"  quarantined {where}: {q['reason']}" + (" (refused by Rulrr)" if q["by"] == "rulrr" else ""))
    print(f"Last error:   {s['last_error'] or 'none'}")
    return 0
