"""The non-secret record of the store a profile is connected to: `<data_dir>/connection.json`.

It says which Rulrr store the tokens in the keyring belong to, when the access token expires (for the refresh
policy and `status`), which keyring backend holds them, and whether Rulrr has refused the connection (then the
app shows "Reconnect to Rulrr"). It never holds a token.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timezone
from typing import Any

from rulrr_desktop.core.config import AppPaths
from rulrr_desktop.core.errors import ConfigError

FILE_NAME = "connection.json"


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class Connection:
    """The store this profile sends to. Times are aware UTC datetimes."""

    profile: str
    store_id: str
    store_name: str
    connected_at: datetime
    expires_at: datetime | None          # the access token's expiry
    keyring_backend: str
    api_url: str = ""
    refreshed_at: datetime | None = None
    needs_reconnect: bool = False        # Rulrr refused the tokens: "Reconnect to Rulrr"

    def with_changes(self, **changes: Any) -> "Connection":
        return replace(self, **changes)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("connected_at", "expires_at", "refreshed_at"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Connection":
        data = dict(data)
        for key in ("connected_at", "expires_at", "refreshed_at"):
            data[key] = _parse(data.get(key))
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def path(paths: AppPaths):
    return paths.data_dir / FILE_NAME


def load(paths: AppPaths) -> Connection | None:
    """The profile's connection, or None when it is not connected."""
    file = path(paths)
    if not file.exists():
        return None
    try:
        return Connection.from_json(json.loads(file.read_text(encoding="utf-8")))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"{file} cannot be read ({type(exc).__name__})",
                          title="The connection record is damaged",
                          action="Connect to Rulrr again (Disconnect, then Connect).") from None


def save(paths: AppPaths, connection: Connection) -> None:
    """Writes the record atomically (a crash never leaves half a file)."""
    paths.ensure()
    file = path(paths)
    tmp = file.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(connection.to_json(), indent=2), encoding="utf-8")
    os.replace(tmp, file)


def forget(paths: AppPaths) -> bool:
    """Deletes the record; True if there was one."""
    file = path(paths)
    if file.exists():
        file.unlink()
        return True
    return False


def describe(paths: AppPaths, *, now: datetime | None = None) -> dict[str, Any]:
    """What `status` shows about the connection: store, token expiry, keyring backend, reconnect needed."""
    connection = load(paths)
    if connection is None:
        return {"connected": False, "profile": paths.profile}
    now = now or _now()
    days_left = None
    if connection.expires_at is not None:
        days_left = round((connection.expires_at - now).total_seconds() / 86400, 1)
    return {
        "connected": True,
        "profile": connection.profile,
        "store_id": connection.store_id,
        "store_name": connection.store_name,
        "connected_at": connection.to_json()["connected_at"],
        "token_expires_at": connection.to_json()["expires_at"],
        "token_days_left": days_left,
        "refreshed_at": connection.to_json()["refreshed_at"],
        "keyring_backend": connection.keyring_backend,
        "needs_reconnect": connection.needs_reconnect,
    }
