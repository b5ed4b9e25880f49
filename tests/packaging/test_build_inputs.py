"""What goes into a build, without building: the vendor's partner file is checked and staged, the Qt modules
the app imports are never trimmed, and the locale/plugin trimming keeps what the web view needs."""

from __future__ import annotations

import os
import tarfile
from pathlib import Path

import pytest

from packaging_helpers import ROOT, load_packaging_module  # type: ignore[import-not-found]

partner = load_packaging_module("partner")
trim = load_packaging_module("trim")
APP_ICON = ROOT / "rulrr_desktop" / "resources" / "icons" / "app.svg"


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


GOOD = ('[partner]\nname = "Acme POS"\nclient_id = "acme"\nclient_secret = "s3cr3t-value"\n'
        'api_url = "https://api.example.com"\nconnect_url = "https://connect.example.com/"\n')


def test_a_vendor_partner_file_is_staged_with_its_icon(tmp_path):
    write(tmp_path / "logo.png", "not really a png, but a file")
    source = write(tmp_path / "partner.toml", GOOD + 'icon = "logo.png"\n')
    staged = partner.stage_partner(source, APP_ICON, tmp_path / "stage")
    text = staged.partner_toml.read_text(encoding="utf-8")
    assert 'name = "Acme POS"' in text and 'icon = "partner-icon.png"' in text
    assert staged.icon == tmp_path / "stage" / "partner-icon.png" and staged.icon.is_file()
    assert staged.has_secret and "s3cr3t-value" not in staged.describe()


def test_without_an_icon_the_app_icon_is_used_and_no_secret_is_fine(tmp_path):
    source = write(tmp_path / "partner.toml", GOOD.replace('client_secret = "s3cr3t-value"\n', ""))
    staged = partner.stage_partner(source, APP_ICON, tmp_path / "stage")
    assert staged.icon == APP_ICON and not staged.has_secret
    assert "not included" in staged.describe()


@pytest.mark.parametrize("text, words", [
    (GOOD.replace('client_id = "acme"\n', ""), "lacks client_id"),
    (GOOD.replace("https://api.example.com", "ftp://api.example.com"), r"api_url must be an http\(s\) URL"),
    (GOOD + 'icon = "missing.png"\n', "partner icon"),
    ("[partner\n", "not valid TOML"),
])
def test_a_broken_partner_file_stops_the_build_with_a_reason(tmp_path, text, words):
    source = write(tmp_path / "partner.toml", text)
    with pytest.raises(partner.PartnerFileError, match=words):
        partner.stage_partner(source, APP_ICON, tmp_path / "stage")


def test_the_repo_partner_file_is_valid():
    assert partner.read_partner(ROOT / "rulrr_desktop" / "resources" / "partner.toml")["client_id"] == "demo-pos"


def test_every_qt_module_the_app_imports_is_kept(tmp_path):
    pyside = Path(__import__("PySide6").__file__).parent
    excludes, kept = trim.qt_excludes(ROOT / "rulrr_desktop", pyside)
    used = trim.qt_modules_used(ROOT / "rulrr_desktop")
    assert {"QtWidgets", "QtWebEngineWidgets"} <= used <= kept
    assert not {f"PySide6.{m}" for m in used} & set(excludes)
    assert {"PySide6.Qt3DCore", "PySide6.QtMultimedia", "PySide6.QtQuick3D"} <= set(excludes)
    # a new import in the app is picked up, whatever the import style
    app = tmp_path / "app"
    app.mkdir()
    write(app / "m.py", "from PySide6 import (QtCharts,\n    QtCore)\nimport PySide6.QtSql\n")
    assert trim.qt_modules_used(app) == {"QtCharts", "QtCore", "QtSql"}


def test_python_excludes_never_drop_what_the_app_imports(tmp_path):
    write(tmp_path / "m.py", "import numpy\nfrom setuptools import x\n")
    excludes = trim.python_excludes(tmp_path)
    assert "numpy" not in excludes and "setuptools" not in excludes and "pytest" in excludes


def test_trimming_keeps_the_web_engine_files_and_the_chosen_locales():
    qt = "PySide6/Qt"
    datas = [(f"{qt}/translations/qtwebengine_locales/{n}.pak", "src", "DATA") for n in ("en-US", "fr", "ja")]
    datas += [(f"{qt}/resources/{n}", "src", "DATA") for n in ("icudtl.dat", "qtwebengine_resources.pak",
                                                                "qtwebengine_devtools_resources.pak")]
    datas += [(f"{qt}/translations/{n}", "src", "DATA") for n in ("qtbase_fr.qm", "qtbase_ja.qm", "designer_fr.qm")]
    datas += [(f"{qt}/qml/QtQuick/qmldir", "src", "DATA"), ("rulrr_desktop/resources/partner.toml", "src", "DATA")]
    kept = {d[0].rsplit("/", 1)[1] for d in trim.trim_datas(datas, trim.parse_locales("fr"))}
    assert kept == {"en-US.pak", "fr.pak", "icudtl.dat", "qtwebengine_resources.pak", "qtbase_fr.qm", "partner.toml"}
    everything = {d[0].rsplit("/", 1)[1] for d in trim.trim_datas(datas, trim.parse_locales("all"))}
    assert {"ja.pak", "qtbase_ja.qm"} <= everything


def test_trimming_drops_embedded_platforms_but_keeps_desktop_ones():
    qt = "PySide6/Qt"
    binaries = [(f"{qt}/plugins/platforms/{n}", "src", "BINARY") for n in
                ("libqxcb.so", "libqwayland.so", "libqoffscreen.so", "libqeglfs.so", "libqvnc.so", "qwindows.dll")]
    binaries += [(f"{qt}/plugins/imageformats/{n}", "src", "BINARY") for n in ("libqsvg.so", "libqpdf.so")]
    binaries += [(f"{qt}/lib/{n}", "src", "BINARY") for n in ("libQt6Pdf.so.6", "libQt6WebEngineCore.so.6")]
    binaries += [(f"{qt}/plugins/generic/libqevdevmouseplugin.so", "src", "BINARY")]
    kept = {b[0].rsplit("/", 1)[1] for b in trim.trim_binaries(binaries)}
    assert kept == {"libqxcb.so", "libqwayland.so", "libqoffscreen.so", "qwindows.dll", "libqsvg.so",
                    "libQt6WebEngineCore.so.6"}


def test_the_tarball_is_the_same_bytes_whatever_the_files_times_and_owners(tmp_path):
    build = load_packaging_module("build")
    bundle = tmp_path / "bundle"
    (bundle / "_internal").mkdir(parents=True)
    (bundle / "rulrr-desktop").write_text("#!/bin/sh\n", encoding="utf-8")
    (bundle / "rulrr-desktop").chmod(0o700)
    (bundle / "_internal" / "data.txt").write_text("x" * 1000, encoding="utf-8")
    first = build.make_tarball(bundle, tmp_path / "a.tar.gz", "rulrr-desktop-1.0", 1_700_000_000).read_bytes()
    os.utime(bundle / "_internal" / "data.txt", (1, 1))
    (bundle / "_internal" / "data.txt").chmod(0o600)
    second = build.make_tarball(bundle, tmp_path / "b.tar.gz", "rulrr-desktop-1.0", 1_700_000_000).read_bytes()
    assert first == second
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        members = {m.name: m for m in tar.getmembers()}
    assert members["rulrr-desktop-1.0/rulrr-desktop"].mode == 0o755      # still executable, for everyone
    assert members["rulrr-desktop-1.0/_internal/data.txt"].mode == 0o644
    assert {m.mtime for m in members.values()} == {1_700_000_000}
