"""The sandbox's world in SQLite: partners, the merchant and their stores, integrations and tokens, orders,
customer lists, upload URLs, and the movable clock.

One connection, used only from the server's event loop (one thread), in WAL mode with synchronous=NORMAL:
one commit per order keeps thousands of orders a second. With a file (`--state FILE`) the world survives a
restart; without one it lives in memory. Every time is the sandbox clock: real time plus an offset that
`POST /_sandbox/clock` moves, so that 15-minute and 365-day expiries can be tested in no time.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from rulrr_desktop.sandbox import spec
from rulrr_desktop.sandbox.responses import ApiFailure

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS partners (client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS merchants (email TEXT PRIMARY KEY, password TEXT NOT NULL, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS stores (
    store_id TEXT PRIMARY KEY, merchant TEXT NOT NULL, name TEXT NOT NULL, currency TEXT NOT NULL,
    country TEXT NOT NULL, e_receipts INTEGER NOT NULL, profile TEXT, profile_puts INTEGER NOT NULL DEFAULT 0,
    duplicates INTEGER NOT NULL DEFAULT 0, uploads INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS integrations (
    token TEXT PRIMARY KEY, client_id TEXT NOT NULL, status TEXT NOT NULL, reason TEXT, store_id TEXT,
    created_at REAL NOT NULL, settled_at REAL, tokens_issued INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, integration TEXT NOT NULL, store_id TEXT NOT NULL,
    issued_at REAL NOT NULL, expires_at REAL, revoked INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS orders (
    seq INTEGER PRIMARY KEY, store_id TEXT NOT NULL, order_id TEXT NOT NULL, body TEXT NOT NULL,
    received_at REAL NOT NULL, UNIQUE (store_id, order_id));
CREATE TABLE IF NOT EXISTS customers (seq INTEGER PRIMARY KEY, store_id TEXT NOT NULL, row TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS customers_by_store ON customers (store_id, seq);
CREATE TABLE IF NOT EXISTS uploads (
    upload_id TEXT PRIMARY KEY, store_id TEXT NOT NULL, expires_at REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0);
"""
TABLES = ("meta", "partners", "merchants", "stores", "integrations", "tokens", "orders", "customers", "uploads")


def iso(moment: float) -> str:
    """A sandbox time as Rulrr writes it: `2026-06-28T14:03:00.000Z`."""
    dt = datetime.fromtimestamp(moment, tz=timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


class SandboxState:
    """The whole sandbox world. Not thread-safe: use it from the server's event loop only."""

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = str(path) if path else ":memory:"
        self.db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=5000")
        self.db.executescript(SCHEMA)
        self._offset = 0.0
        self._access: dict[str, tuple[str, float]] = {}  # live access token -> (store_id, expires_at)
        if self._meta("seeded") is None:
            self.reset()
        self._offset = float(self._meta("clock_offset") or 0.0)

    def close(self) -> None:
        self.db.close()

    # -- meta and clock -----------------------------------------------------------------------------------------
    def _meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def _set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))

    def now(self) -> float:
        """The sandbox clock: real time plus the offset that /_sandbox/clock moved it by."""
        return time.time() + self._offset

    def advance_clock(self, seconds: float) -> float:
        self._offset += seconds
        self._set_meta("clock_offset", repr(self._offset))
        return self.now()

    @property
    def clock_offset(self) -> float:
        return self._offset

    @property
    def session_key(self) -> bytes:
        """The key that signs the Connect page's session field (kept in the state, so a restart keeps sessions)."""
        return bytes.fromhex(self._meta("session_key") or "")

    def reset(self) -> None:
        """Back to the seeded world: the partner, the merchant and their stores; nothing else; clock at now."""
        with self.db:
            self.db.execute("BEGIN")
            for table in TABLES:
                self.db.execute(f"DELETE FROM {table}")
            for p in spec.SEED_PARTNERS:
                self.db.execute("INSERT INTO partners VALUES (?, ?, ?)", (p.client_id, p.client_secret, p.name))
            for m in spec.SEED_MERCHANTS:
                self.db.execute("INSERT INTO merchants VALUES (?, ?, ?)", (m.email, m.password, m.name))
                for s in m.stores:
                    self.db.execute("INSERT INTO stores (store_id, merchant, name, currency, country, e_receipts) "
                                    "VALUES (?, ?, ?, ?, ?, ?)",
                                    (s.store_id, m.email, s.name, s.currency, s.country, int(s.e_receipts)))
            self._set_meta("session_key", secrets.token_hex(32))
            self._set_meta("clock_offset", "0.0")
            self._set_meta("seeded", "1")
        self._offset = 0.0
        self._access.clear()

    # -- partners and integrations ------------------------------------------------------------------------------
    def partner(self, client_id: str | None, client_secret: str | None = None, *,
                check_secret: bool = True) -> dict[str, str]:
        """The partner with this client_id, after checking its secret (D: 400 unknown id, 403 wrong secret)."""
        if not client_id:
            raise ApiFailure(spec.MISSING_PARAMETER, fields={spec.Q_CLIENT_ID: "is required"})
        row = self.db.execute("SELECT client_id, client_secret, name FROM partners WHERE client_id = ?",
                              (client_id,)).fetchone()
        if row is None:
            raise ApiFailure(spec.UNKNOWN_CLIENT)
        if check_secret:
            if not client_secret:
                raise ApiFailure(spec.MISSING_PARAMETER, fields={spec.Q_CLIENT_SECRET: "is required"})
            if not secrets.compare_digest(row[1].encode(), client_secret.encode()):
                raise ApiFailure(spec.WRONG_SECRET)
        return {"client_id": row[0], "name": row[2]}

    def create_integration(self, client_id: str) -> str:
        token = "it_" + secrets.token_urlsafe(24)
        self.db.execute("INSERT INTO integrations (token, client_id, status, created_at) VALUES (?, ?, ?, ?)",
                        (token, client_id, spec.PENDING, self.now()))
        return token

    def integration(self, token: str | None, client_id: str | None = None) -> dict[str, Any] | None:
        """The integration (expired first if its 15 minutes are over), or None when unknown / another client's."""
        if not token:
            return None
        row = self.db.execute("SELECT token, client_id, status, reason, store_id, created_at, settled_at, "
                              "tokens_issued FROM integrations WHERE token = ?", (token,)).fetchone()
        if row is None or (client_id is not None and row[1] != client_id):
            return None
        integ = dict(zip(("token", "client_id", "status", "reason", "store_id", "created_at", "settled_at",
                          "tokens_issued"), row))
        if integ["status"] == spec.PENDING and self.now() - integ["created_at"] >= spec.INTEGRATION_TOKEN_LIFE_S:
            expired_at = integ["created_at"] + spec.INTEGRATION_TOKEN_LIFE_S
            self.db.execute("UPDATE integrations SET status = ?, reason = ?, settled_at = ? WHERE token = ?",
                            (spec.CANCELLED, spec.REASON_EXPIRED, expired_at, token))
            integ.update(status=spec.CANCELLED, reason=spec.REASON_EXPIRED, settled_at=expired_at)
        return integ

    def finish_integration(self, token: str, store_id: str) -> dict[str, Any]:
        """What the merchant's Connect does: the pending integration becomes `finished` for `store_id`."""
        self._settle(token, spec.FINISHED, None, store_id)
        return self.integration(token)  # type: ignore[return-value]

    def cancel_integration(self, token: str, reason: str = spec.REASON_MERCHANT) -> dict[str, Any]:
        self._settle(token, spec.CANCELLED, reason, None)
        return self.integration(token)  # type: ignore[return-value]

    def _settle(self, token: str, status: str, reason: str | None, store_id: str | None) -> None:
        integ = self.integration(token)
        if integ is None:
            raise ApiFailure(spec.WRONG_INTEGRATION_TOKEN)
        if integ["status"] != spec.PENDING:
            raise ApiFailure(spec.INTEGRATION_SETTLED, f"The integration is already {integ['status']}.")
        if store_id is not None and self.store_row(store_id) is None:
            raise ApiFailure(spec.ApiError(400, spec.UNKNOWN_STORE.code, f"There is no store {store_id!r}."))
        self.db.execute("UPDATE integrations SET status = ?, reason = ?, store_id = ?, settled_at = ? WHERE token = ?",
                        (status, reason, store_id, self.now(), token))

    # -- tokens -------------------------------------------------------------------------------------------------
    def exchange(self, client_id: str, integration_token: str | None) -> dict[str, Any]:
        """Step 4: the tokens of a finished integration, once."""
        integ = self.integration(integration_token, client_id)
        if integ is None:
            raise ApiFailure(spec.WRONG_INTEGRATION_TOKEN)
        if integ["status"] == spec.PENDING:
            raise ApiFailure(spec.INTEGRATION_NOT_FINISHED)
        if integ["status"] == spec.CANCELLED:
            raise ApiFailure(spec.INTEGRATION_CANCELLED)
        if integ["tokens_issued"]:
            raise ApiFailure(spec.TOKENS_ALREADY_ISSUED)
        refresh = "rt_" + secrets.token_urlsafe(32)
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE integrations SET tokens_issued = 1 WHERE token = ?", (integ["token"],))
            self.db.execute("INSERT INTO tokens (token, kind, integration, store_id, issued_at) VALUES (?, ?, ?, ?, ?)",
                            (refresh, "refresh", integ["token"], integ["store_id"], self.now()))
            access = self._new_access(integ["token"], integ["store_id"])
        return {spec.K_ACCESS_TOKEN: access, spec.K_REFRESH_TOKEN: refresh, spec.K_EXPIRES_IN: spec.ACCESS_TOKEN_LIFE_S}

    def _new_access(self, integration: str, store_id: str) -> str:
        access = "at_" + secrets.token_urlsafe(32)
        now = self.now()
        self.db.execute("INSERT INTO tokens (token, kind, integration, store_id, issued_at, expires_at) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        (access, "access", integration, store_id, now, now + spec.ACCESS_TOKEN_LIFE_S))
        return access

    def refresh(self, client_id: str, refresh_token: str) -> dict[str, Any]:
        """A new access token for a live refresh token; the refresh token stays the same."""
        row = self.db.execute("SELECT t.integration, t.store_id, t.revoked, i.client_id FROM tokens t "
                              "JOIN integrations i ON i.token = t.integration WHERE t.token = ? AND t.kind = 'refresh'",
                              (refresh_token,)).fetchone()
        if row is None or row[2] or row[3] != client_id:
            raise ApiFailure(spec.WRONG_REFRESH_TOKEN)
        with self.db:
            self.db.execute("BEGIN")
            if spec.REFRESH_REVOKES_OLD_ACCESS:
                self._access.clear()
                self.db.execute("UPDATE tokens SET revoked = 1 WHERE integration = ? AND kind = 'access'", (row[0],))
            access = self._new_access(row[0], row[1])
        return {spec.K_ACCESS_TOKEN: access, spec.K_REFRESH_TOKEN: refresh_token, spec.K_EXPIRES_IN: spec.ACCESS_TOKEN_LIFE_S}

    def store_for_access_token(self, token: str | None) -> str:
        """The store an access token opens, or ApiFailure 403 (D: missing, expired or revoked)."""
        if not token:
            raise ApiFailure(spec.ACCESS_TOKEN_MISSING)
        cached = self._access.get(token)  # one SELECT less per order: this is the hot path
        if cached is not None and self.now() < cached[1]:
            return cached[0]
        row = self.db.execute("SELECT store_id, expires_at, revoked FROM tokens WHERE token = ? AND kind = 'access'",
                              (token,)).fetchone()
        if row is None:
            raise ApiFailure(spec.ACCESS_TOKEN_INVALID)
        if row[2]:
            raise ApiFailure(spec.ACCESS_TOKEN_REVOKED)
        if self.now() >= row[1]:
            raise ApiFailure(spec.ACCESS_TOKEN_EXPIRED)
        self._access[token] = (row[0], row[1])
        return row[0]

    def revoke(self, store_id: str) -> int:
        """Revokes every access and refresh token of the store; returns how many tokens it killed."""
        self._access.clear()
        return self.db.execute("UPDATE tokens SET revoked = 1 WHERE store_id = ? AND revoked = 0",
                               (store_id,)).rowcount

    # -- merchants and stores -----------------------------------------------------------------------------------
    def check_merchant(self, email: str, password: str) -> bool:
        row = self.db.execute("SELECT password FROM merchants WHERE email = ?", (email.strip().lower(),)).fetchone()
        return row is not None and secrets.compare_digest(row[0].encode(), password.encode())

    def merchant_stores(self, email: str) -> list[dict[str, Any]]:
        rows = self.db.execute("SELECT store_id FROM stores WHERE merchant = ? ORDER BY store_id",
                               (email.strip().lower(),)).fetchall()
        return [self.store_view(r[0]) for r in rows]

    def store_row(self, store_id: str) -> tuple | None:
        return self.db.execute("SELECT store_id, name, currency, country, e_receipts, profile, profile_puts, "
                               "duplicates, uploads, merchant FROM stores WHERE store_id = ?", (store_id,)).fetchone()

    def store_view(self, store_id: str) -> dict[str, Any]:
        """Everything the hooks show about a store."""
        row = self.store_row(store_id)
        if row is None:
            raise ApiFailure(spec.UNKNOWN_STORE, f"There is no store {store_id!r}.")
        return {"storeId": row[0], "name": row[1], "currency": row[2], "country": row[3],
                spec.E_RECEIPTS_KEY: bool(row[4]), "profile": json.loads(row[5]) if row[5] else None,
                "profilePuts": row[6], "merchant": row[9]}

    def api_store(self, store_id: str) -> dict[str, Any]:
        """The store as GET /v1/stores shows it: the profile as last PUT (else the seeded name/currency) + settings."""
        view = self.store_view(store_id)
        body = view["profile"] or {"storeName": view["name"], "storeCountryCode": view["country"],
                                   "storeCurrency": view["currency"]}
        return {**body, spec.E_RECEIPTS_KEY: view[spec.E_RECEIPTS_KEY]}

    def put_store(self, store_id: str, profile: dict[str, str]) -> None:
        self.db.execute("UPDATE stores SET profile = ?, profile_puts = profile_puts + 1 WHERE store_id = ?",
                        (json.dumps(profile), store_id))

    def set_e_receipts(self, store_id: str, enabled: bool) -> None:
        self.store_view(store_id)
        self.db.execute("UPDATE stores SET e_receipts = ? WHERE store_id = ?", (int(enabled), store_id))

    # -- orders -------------------------------------------------------------------------------------------------
    def add_order(self, store_id: str, order_id: str, raw_body: str) -> bool:
        """Stores an order; returns True when this orderId was already received for the store (a duplicate)."""
        cur = self.db.execute("INSERT OR IGNORE INTO orders (store_id, order_id, body, received_at) VALUES (?, ?, ?, ?)",
                              (store_id, order_id, raw_body, self.now()))
        if cur.rowcount == 1:
            return False
        self.db.execute("UPDATE stores SET duplicates = duplicates + 1 WHERE store_id = ?", (store_id,))
        return True

    def order(self, store_id: str, order_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT body FROM orders WHERE store_id = ? AND order_id = ?",
                              (store_id, order_id)).fetchone()
        return json.loads(row[0]) if row else None

    def orders(self, store_id: str | None, limit: int | None = None) -> dict[str, Any]:
        where, args = ("WHERE store_id = ?", (store_id,)) if store_id else ("", ())
        count = self.db.execute(f"SELECT count(*) FROM orders {where}", args).fetchone()[0]
        dup_where = "WHERE store_id = ?" if store_id else ""
        duplicates = self.db.execute(f"SELECT coalesce(sum(duplicates), 0) FROM stores {dup_where}", args).fetchone()[0]
        sql = f"SELECT body FROM orders {where} ORDER BY seq"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        orders = [json.loads(r[0]) for r in self.db.execute(sql, args)]
        return {"orders": orders, "count": count, "posts": count + duplicates, "duplicates": duplicates}

    # -- customers ----------------------------------------------------------------------------------------------
    def create_upload(self, store_id: str) -> tuple[str, float]:
        upload_id = secrets.token_urlsafe(24)
        expires_at = self.now() + spec.UPLOAD_URL_LIFE_S
        self.db.execute("INSERT INTO uploads (upload_id, store_id, expires_at) VALUES (?, ?, ?)",
                        (upload_id, store_id, expires_at))
        return upload_id, expires_at

    def upload_store(self, upload_id: str) -> str:
        """The store an upload URL belongs to, if it is still usable (once, within 15 minutes)."""
        row = self.db.execute("SELECT store_id, expires_at, used FROM uploads WHERE upload_id = ?",
                              (upload_id,)).fetchone()
        if row is None:
            raise ApiFailure(spec.UPLOAD_NOT_FOUND)
        if row[2]:
            raise ApiFailure(spec.UPLOAD_URL_USED)
        if self.now() >= row[1]:
            raise ApiFailure(spec.UPLOAD_URL_EXPIRED)
        return row[0]

    def replace_customers(self, upload_id: str, store_id: str, customers: list[dict[str, str]]) -> None:
        """Uses up the upload URL and replaces the store's customer list, in one transaction."""
        with self.db:
            self.db.execute("BEGIN")
            self.db.execute("UPDATE uploads SET used = 1 WHERE upload_id = ?", (upload_id,))
            self.db.execute("DELETE FROM customers WHERE store_id = ?", (store_id,))
            self.db.executemany("INSERT INTO customers (store_id, row) VALUES (?, ?)",
                                ((store_id, json.dumps(c)) for c in customers))
            self.db.execute("UPDATE stores SET uploads = uploads + 1 WHERE store_id = ?", (store_id,))

    def customers(self, store_id: str) -> dict[str, Any]:
        row = self.store_row(store_id)
        rows = self.db.execute("SELECT row FROM customers WHERE store_id = ? ORDER BY seq", (store_id,))
        return {"customers": [json.loads(r[0]) for r in rows], "uploads": row[8] if row else 0}

    # -- the whole picture (GET /_sandbox/state) ----------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        integrations = []
        for (token,) in self.db.execute("SELECT token FROM integrations ORDER BY created_at").fetchall():
            integ = self.integration(token)
            assert integ is not None
            toks = self.db.execute("SELECT token, kind, issued_at, expires_at, revoked FROM tokens "
                                   "WHERE integration = ? ORDER BY issued_at", (token,)).fetchall()
            access = [{"token": t[0], "issued_at": iso(t[2]), "expires_at": iso(t[3]), "revoked": bool(t[4])}
                      for t in toks if t[1] == "access"]
            refresh = next((t for t in toks if t[1] == "refresh"), None)
            integrations.append({
                "token": token, "client_id": integ["client_id"], "status": integ["status"],
                "reason": integ["reason"], "store_id": integ["store_id"], "store": integ["store_id"],
                "created_at": iso(integ["created_at"]),
                "tokens_issued": bool(integ["tokens_issued"]),
                "access_token": access[-1]["token"] if access else None,
                "refresh_token": refresh[0] if refresh else None,
                "revoked": bool(refresh[4]) if refresh else False,
                "access_tokens": access,
            })
        store_ids = [r[0] for r in self.db.execute("SELECT store_id FROM stores ORDER BY store_id")]
        stores = {sid: self.store_view(sid) for sid in store_ids}
        counts = {}
        for sid in store_ids:
            o = self.db.execute("SELECT count(*) FROM orders WHERE store_id = ?", (sid,)).fetchone()[0]
            c = self.db.execute("SELECT count(*) FROM customers WHERE store_id = ?", (sid,)).fetchone()[0]
            row = self.store_row(sid)
            assert row is not None
            counts[sid] = {"orders": o, "posts": o + row[7], "duplicates": row[7], "customers": c,
                           "uploads": row[8], "profile_puts": row[6]}
        totals = {k: sum(c[k] for c in counts.values()) for k in ("orders", "posts", "duplicates", "customers",
                                                                   "uploads", "profile_puts")}
        totals["integrations"] = len(integrations)
        return {"now": iso(self.now()), "clock_offset_seconds": self._offset, "integrations": integrations,
                "stores": stores, "counts": {**totals, "by_store": counts}}
