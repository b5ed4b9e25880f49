"""`make package`: freezes the app with packaging/rulrr-desktop.spec and wraps it for this OS.

On Linux it writes into dist/:
  rulrr-desktop/                                 the onedir bundle (+ share/: desktop entry, icon; install.sh)
  rulrr-desktop-<version>-linux-x86_64.tar.gz    that folder, reproducible (sorted, fixed times and owners)
  rulrr-desktop-<version>-x86_64.AppImage        only when `appimagetool` is on PATH (or $APPIMAGETOOL)
On Windows and macOS it builds the bundle; the installers come from packaging/windows/build-installer.ps1 and
packaging/macos/build-dmg.sh (CI runs them). The last line printed is a JSON summary of what was built.

Usage: python packaging/build.py [--partner FILE] [--locales all|en-US,fr,...] [--dist DIR] [--work DIR]
                                 [--no-tarball] [--gzip-level N] [--no-appimage]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "rulrr-desktop.spec"
APP = "rulrr-desktop"


def version() -> str:
    sys.path.insert(0, str(ROOT))
    from rulrr_desktop import __version__
    return __version__


def source_date_epoch() -> int:
    """SOURCE_DATE_EPOCH, else the last commit's time: the same tree gives the same archive layout."""
    if os.environ.get("SOURCE_DATE_EPOCH"):
        return int(os.environ["SOURCE_DATE_EPOCH"])
    try:
        out = subprocess.run(["git", "log", "-1", "--format=%ct"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.strip()
        return int(out)
    except (OSError, subprocess.CalledProcessError, ValueError):
        return 315532800  # 1980-01-01, the earliest time a zip can hold


def freeze(dist: Path, work: Path, partner: Path | None, locales: str | None) -> Path:
    """Runs PyInstaller on the spec; returns the onedir bundle."""
    env = dict(os.environ)
    # Reproducible: PyInstaller orders some archives by set iteration (hash seed) and stamps Windows
    # executables with the build time unless SOURCE_DATE_EPOCH says otherwise.
    env.setdefault("PYTHONHASHSEED", "0")
    env.setdefault("SOURCE_DATE_EPOCH", str(source_date_epoch()))
    if partner is not None:
        env["RULRR_BUILD_PARTNER"] = str(partner.resolve())
    if locales:
        env["RULRR_BUILD_LOCALES"] = locales
    cmd = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
           "--distpath", str(dist), "--workpath", str(work), str(SPEC)]
    subprocess.run(cmd, cwd=ROOT, env=env, check=True)
    return dist / APP


def shipped_icon(bundle: Path) -> Path:
    """The icon that shipped: the partner's, else the app's own."""
    resources = bundle / "_internal" / "rulrr_desktop" / "resources"
    partner_icons = sorted(resources.glob("partner-icon.*"))
    return partner_icons[0] if partner_icons else resources / "icons" / "app.svg"


def add_linux_integration(bundle: Path) -> None:
    """share/: the desktop entry and icon; install.sh: a per-user install with an optional login item."""
    share = bundle / "share"
    share.mkdir(exist_ok=True)
    shutil.copyfile(HERE / "linux" / f"{APP}.desktop", share / f"{APP}.desktop")
    icon = shipped_icon(bundle)
    shutil.copyfile(icon, share / f"{APP}{icon.suffix}")
    shutil.copyfile(HERE / "linux" / "install.sh", bundle / "install.sh")
    (bundle / "install.sh").chmod(0o755)


def make_tarball(bundle: Path, target: Path, top: str, epoch: int, level: int = 6) -> Path:
    """A tar.gz of the bundle under `top/`, byte-for-byte stable for the same files (sorted, fixed metadata)."""
    def normalise(info: tarfile.TarInfo) -> tarfile.TarInfo:
        info.mtime = epoch
        info.uid = info.gid = 0
        info.uname = info.gname = ""
        info.mode = 0o755 if info.isdir() or info.mode & 0o111 else 0o644
        return info

    paths = sorted(bundle.rglob("*"))
    with open(target, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=epoch,
                                                  compresslevel=level) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        tar.add(bundle, arcname=top, recursive=False, filter=normalise)
        for path in paths:
            tar.add(path, arcname=f"{top}/{path.relative_to(bundle).as_posix()}", recursive=False,
                    filter=normalise)
    return target


def appimagetool() -> str | None:
    return os.environ.get("APPIMAGETOOL") or shutil.which("appimagetool")


def make_appimage(bundle: Path, target: Path, work: Path, tool: str) -> Path:
    """An AppImage of the bundle: AppRun starts the frozen binary; desktop entry and icon at the top."""
    appdir = work / "AppDir"
    if appdir.exists():
        shutil.rmtree(appdir)
    shutil.copytree(bundle, appdir / "opt" / APP, symlinks=True)
    shutil.copyfile(HERE / "linux" / f"{APP}.desktop", appdir / f"{APP}.desktop")
    icon = shipped_icon(bundle)
    shutil.copyfile(icon, appdir / f"{APP}{icon.suffix}")
    apprun = appdir / "AppRun"
    apprun.write_text('#!/bin/sh\nhere=$(dirname "$(readlink -f "$0")")\nexec "$here/opt/rulrr-desktop/rulrr-desktop" "$@"\n',
                      encoding="utf-8")
    apprun.chmod(0o755)
    env = {**os.environ, "ARCH": "x86_64"}
    subprocess.run([tool, "--no-appstream", str(appdir), str(target)], env=env, check=True)
    return target


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--partner", type=Path, default=os.environ.get("RULRR_BUILD_PARTNER") or None,
                        help="the partner.toml to ship (default: the repo's, for the built-in sandbox)")
    parser.add_argument("--locales", default=os.environ.get("RULRR_BUILD_LOCALES"),
                        help='Chromium locales to ship: "all" or a comma list (default: see packaging/trim.py)')
    parser.add_argument("--dist", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build")
    parser.add_argument("--no-tarball", action="store_true", help="build the bundle folder only")
    parser.add_argument("--gzip-level", type=int, default=6, choices=range(1, 10),
                        help="tarball compression (1 is 2.5x faster and 9%% bigger; default 6)")
    parser.add_argument("--no-appimage", action="store_true")
    args = parser.parse_args(argv)

    started = time.monotonic()
    args.dist.mkdir(parents=True, exist_ok=True)
    bundle = freeze(args.dist, args.work, args.partner, args.locales)
    summary: dict = {"bundle": str(bundle), "freeze_s": round(time.monotonic() - started, 1)}
    if sys.platform.startswith("linux"):
        add_linux_integration(bundle)
        arch = platform.machine() or "x86_64"
        if not args.no_tarball:
            tarball = args.dist / f"{APP}-{version()}-linux-{arch}.tar.gz"
            make_tarball(bundle, tarball, f"{APP}-{version()}", source_date_epoch(), args.gzip_level)
            summary["tarball"] = str(tarball)
            summary["tarball_mb"] = round(tarball.stat().st_size / 2**20, 1)
        tool = appimagetool()
        if args.no_appimage:
            summary["appimage"] = "skipped (--no-appimage)"
        elif tool is None:
            summary["appimage"] = "skipped: appimagetool is not on PATH (neither PyPI nor Debian ships it)"
        else:
            target = args.dist / f"{APP}-{version()}-{arch}.AppImage"
            summary["appimage"] = str(make_appimage(bundle, target, args.work, tool))
    summary["bundle_mb"] = round(folder_size(bundle) / 2**20, 1)
    summary["total_s"] = round(time.monotonic() - started, 1)
    print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    sys.exit(main())
