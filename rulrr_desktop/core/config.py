"""Where the app keeps its files, and the settings in `config.toml` (see CONTRACT.md).

A profile is one store on this machine. Without `--home` (or RULRR_DESKTOP_HOME) the platform folders are used
(platformdirs); with it, everything lives under that one folder. Secrets never live here: tokens are in the OS
keyring, the partner's client secret comes from the environment, the keyring or the shipped partner file.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from rulrr_desktop import APP_ID
from rulrr_desktop.core.errors import ConfigError
from rulrr_desktop.core.redact import redact

HOME_ENV = "RULRR_DESKTOP_HOME"
SECRET_ENV = "RULRR_CLIENT_SECRET"
PARTNER_FILE_ENV = "RULRR_PARTNER_FILE"
_PROFILE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
RESOURCES = Path(__file__).resolve().parent.parent / "resources"


@dataclass(frozen=True)
class AppPaths:
    """The folders and files of one profile."""

    profile: str
    config_dir: Path
    data_dir: Path
    log_dir: Path

    @classmethod
    def resolve(cls, home: str | os.PathLike[str] | None = None, profile: str = "default") -> "AppPaths":
        if not _PROFILE_RE.match(profile):
            raise ConfigError(f"the profile name {profile!r} is not valid",
                              action="Use letters, digits, '-', '_' or '.' only.")
        home = home or os.environ.get(HOME_ENV) or None
        if home:
            root = Path(home).expanduser().resolve()
            return cls(profile, root / "profiles" / profile, root / "profiles" / profile / "data",
                       root / "profiles" / profile / "logs")
        dirs = platformdirs.PlatformDirs(APP_ID, appauthor=False)
        return cls(profile, Path(dirs.user_config_dir) / profile, Path(dirs.user_data_dir) / profile,
                   Path(dirs.user_log_dir) / profile)

    @property
    def config_file(self) -> Path:
        return self.config_dir / "config.toml"

    @property
    def ledger_file(self) -> Path:
        return self.data_dir / "ledger.sqlite3"

    def ensure(self) -> "AppPaths":
        for d in (self.config_dir, self.data_dir, self.log_dir):
            d.mkdir(parents=True, exist_ok=True)
        return self


@dataclass
class RulrrSettings:
    api_url: str = ""
    connect_url: str = ""
    client_id: str = ""


@dataclass
class SourceSettings:
    kind: str = ""              # "csv" or "sqlite"
    path: str = ""
    preset: str = "auto"
    sql: dict[str, str] = field(default_factory=dict)
    mapping: dict[str, Any] = field(default_factory=dict)
    date_format: str = ""       # e.g. "%m/%d/%y %I:%M %p" when the export's dates are localised


@dataclass
class SyncSettings:
    interval_seconds: int = 60
    concurrency: int = 8


@dataclass
class NetworkSettings:
    """How to reach Rulrr. `proxy` is the address Settings saved (None: the system's proxy): http://host:port or
    http://user@host:port, whose password is in the OS keyring, never here (a hand-written one with the password
    inside still works, see core.network). It is checked where connections are made (`core.network`), so a bad
    one never stops Settings from opening."""

    proxy: str | None = None

    def __post_init__(self) -> None:
        text = "" if self.proxy is None else str(self.proxy).strip()
        self.proxy = text or None

    def __repr__(self) -> str:      # a proxy address may carry a password
        return f"NetworkSettings(proxy={redact(self.proxy) if self.proxy else None!r})"


@dataclass
class Settings:
    """The whole `config.toml` of a profile. Unknown tables are kept in `extra` and written back untouched."""

    rulrr: RulrrSettings = field(default_factory=RulrrSettings)
    source: SourceSettings = field(default_factory=SourceSettings)
    store: dict[str, str] = field(default_factory=dict)
    sync: SyncSettings = field(default_factory=SyncSettings)
    network: NetworkSettings = field(default_factory=NetworkSettings)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def timezone(self) -> str:
        return self.store.get("timezone", "")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Settings":
        data = dict(data)
        try:
            rulrr = RulrrSettings(**data.pop("rulrr", {}))
            src = dict(data.pop("source", {}))
            source = SourceSettings(**src)
            store = {k: str(v) for k, v in data.pop("store", {}).items()}
            sync = SyncSettings(**data.pop("sync", {}))
            network = NetworkSettings(**data.pop("network", {}))
        except TypeError as exc:
            raise ConfigError(f"config.toml has a setting this version does not know ({exc})") from None
        if sync.concurrency < 1 or sync.interval_seconds < 1:
            raise ConfigError("sync.concurrency and sync.interval_seconds must be at least 1")
        return cls(rulrr, source, store, sync, network, data)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "rulrr": {k: v for k, v in vars(self.rulrr).items() if v},
            "source": {k: v for k, v in vars(self.source).items() if v},
            "store": dict(self.store),
            "sync": dict(vars(self.sync)),
            "network": {"proxy": proxy} if (proxy := (self.network.proxy or "").strip()) else {},
        }
        out.update(self.extra)
        return {k: v for k, v in out.items() if v}


def load_settings(paths: AppPaths) -> Settings:
    """Reads the profile's config.toml; defaults from the shipped partner file fill in the Rulrr URLs."""
    data: dict[str, Any] = {}
    if paths.config_file.exists():
        try:
            data = tomllib.loads(paths.config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{paths.config_file} cannot be read ({exc})",
                              action="Fix the file, or delete it and run the setup again.") from None
    settings = Settings.from_dict(data)
    partner = load_partner()
    for key in ("api_url", "connect_url", "client_id"):
        if not getattr(settings.rulrr, key) and partner.get(key):
            setattr(settings.rulrr, key, partner[key])
    return settings


def save_settings(paths: AppPaths, settings: Settings) -> None:
    """Writes config.toml atomically (a crash never leaves half a file)."""
    paths.ensure()
    tmp = paths.config_file.with_suffix(".toml.tmp")
    import tomli_w     # only to save: not at start-up
    tmp.write_text(tomli_w.dumps(settings.to_dict()), encoding="utf-8")
    os.replace(tmp, paths.config_file)


def partner_file() -> Path:
    """The partner file: env RULRR_PARTNER_FILE, else the one shipped with the build."""
    return Path(os.environ.get(PARTNER_FILE_ENV) or RESOURCES / "partner.toml")


def load_partner() -> dict[str, str]:
    """The partner's name, client_id, Rulrr URLs and (if shipped) client secret, from the partner file."""
    path = partner_file()
    if not path.exists():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"the partner file {path} cannot be read ({exc})", title="This build is broken",
                          action="Ask your POS vendor for a fixed installer.") from None
    return {k: str(v) for k, v in data.get("partner", data).items()}
