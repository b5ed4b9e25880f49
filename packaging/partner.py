"""The partner file a build ships: checked and staged at build time, so that a POS vendor can brand its build.

A vendor passes its own `partner.toml` (`packaging/build.py --partner FILE`, or env RULRR_BUILD_PARTNER):

    [partner]
    name = "Acme POS"                      # shown to the store staff
    client_id = "acme-pos"                 # from Rulrr
    client_secret = "..."                  # optional here: else env RULRR_CLIENT_SECRET or the keyring
    api_url = "https://api.rulrr.com"
    connect_url = "https://connect.rulrr.com/"
    icon = "acme.png"                      # optional, relative to this file: the app and installer icon

Staging copies it (and its icon) into a build folder that the spec bundles as rulrr_desktop/resources/. The
secret is never printed: the build log says only whether one is included.
"""

from __future__ import annotations

import shutil
import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import tomli_w

REQUIRED = ("name", "client_id", "api_url", "connect_url")
ICON_SUFFIXES = (".svg", ".png", ".ico", ".icns")


class PartnerFileError(Exception):
    """The vendor's partner file cannot make a working build (the message says what to fix)."""


@dataclass(frozen=True)
class StagedPartner:
    """The partner file as it will ship, and the app icon the installers use."""

    folder: Path            # bundle it as rulrr_desktop/resources (it holds partner.toml and the icon, if any)
    partner_toml: Path
    icon: Path              # the partner's icon, else the app's own
    name: str
    client_id: str
    has_secret: bool

    def describe(self) -> str:
        secret = "included" if self.has_secret else "not included (RULRR_CLIENT_SECRET or the keyring at run time)"
        return f"partner {self.name!r}, client_id {self.client_id!r}, client secret {secret}, icon {self.icon.name}"


def read_partner(path: Path) -> dict[str, str]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PartnerFileError(f"the partner file {path} does not exist") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PartnerFileError(f"the partner file {path} is not valid TOML ({exc})") from None
    table = data.get("partner", data)
    if not isinstance(table, dict):
        raise PartnerFileError(f"the partner file {path} has no [partner] table")
    missing = [key for key in REQUIRED if not str(table.get(key, "")).strip()]
    if missing:
        raise PartnerFileError(f"the partner file {path} lacks {', '.join(missing)}")
    for key in ("api_url", "connect_url"):
        url = urlsplit(str(table[key]))
        if url.scheme not in ("http", "https") or not url.netloc:
            raise PartnerFileError(f"the partner file {path}: {key} must be an http(s) URL")
    return {k: str(v) for k, v in table.items()}


def stage_partner(partner_file: Path, default_icon: Path, folder: Path) -> StagedPartner:
    """Checks `partner_file` and writes what will ship into `folder` (emptied first)."""
    partner = read_partner(partner_file)
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    icon = default_icon
    if partner.get("icon"):
        source = (partner_file.parent / partner["icon"]).resolve()
        if not source.is_file() or source.suffix.lower() not in ICON_SUFFIXES:
            raise PartnerFileError(f"the partner icon {source} is missing or not one of {', '.join(ICON_SUFFIXES)}")
        icon = folder / f"partner-icon{source.suffix.lower()}"
        shutil.copyfile(source, icon)
        partner["icon"] = icon.name  # relative to the shipped partner.toml
    target = folder / "partner.toml"
    target.write_text("# Shipped with this build (packaging/partner.py staged it).\n"
                      + tomli_w.dumps({"partner": partner}), encoding="utf-8")
    return StagedPartner(folder, target, icon, partner["name"], partner["client_id"],
                         bool(partner.get("client_secret")))
