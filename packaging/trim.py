"""Which parts of Qt a build ships: only the Qt modules the app imports, and no files nobody reads.

PyInstaller's PySide6 hooks collect a Qt module's libraries, plugins, translations (and QML, for QtQuick) as
soon as the module is imported anywhere. The app needs Widgets, Svg and the web engine; everything else
(3D, Multimedia, Charts, Designer, Bluetooth, QML plugins, ...) is excluded here. The list of kept modules is
the base below plus whatever `rulrr_desktop` imports (read from its sources at build time), so a new
`from PySide6 import QtCharts` in the app is shipped, never silently broken.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePath

# What QtWebEngineWidgets and the app shell import at run time (checked: import them, read sys.modules).
BASE_QT_MODULES = {"QtCore", "QtGui", "QtWidgets", "QtNetwork", "QtSvg", "QtSvgWidgets", "QtDBus",
                   "QtPrintSupport", "QtWebChannel", "QtWebEngineCore", "QtWebEngineWidgets"}

# Python packages that must never ride along (test tools, GUI toolkits the app does not use, build tools),
# unless the app's own sources import one (python_excludes() checks).
PYTHON_EXCLUDES = ["tkinter", "_tkinter", "turtle", "idlelib", "lib2to3", "pydoc_data", "pytest", "_pytest",
                   "pytestqt", "hypothesis", "IPython", "PyInstaller", "pip", "setuptools", "numpy",
                   "matplotlib"]

# Chromium's UI strings (form validation bubbles, context menus, error pages) for the markets served.
DEFAULT_LOCALES = ["en-US", "en-GB", "fr", "de", "es", "es-419", "it", "nl", "pt-BR", "pt-PT", "sv", "da",
                   "nb", "fi", "pl"]

_TOP_IMPORT_RE = re.compile(r"^\s*(?:import|from)\s+([A-Za-z_]\w*)", re.MULTILINE)
_IMPORT_RE = re.compile(r"PySide6\.(Qt\w+)|from\s+PySide6\s+import\s+\(?([\w\s,]+)\)?")


def qt_modules_used(package_dir: Path) -> set[str]:
    """The Qt modules the app's sources import."""
    used: set[str] = set()
    for source in package_dir.rglob("*.py"):
        for dotted, listed in _IMPORT_RE.findall(source.read_text(encoding="utf-8")):
            if dotted:
                used.add(dotted)
            used.update(name.strip() for name in listed.split(",") if name.strip().startswith("Qt"))
    return used


def python_excludes(package_dir: Path) -> list[str]:
    """PYTHON_EXCLUDES less whatever the app imports (an exclude must never break a command)."""
    imported = {name for source in package_dir.rglob("*.py")
                for name in _TOP_IMPORT_RE.findall(source.read_text(encoding="utf-8"))}
    return [name for name in PYTHON_EXCLUDES if name not in imported]


def qt_modules_installed(pyside_dir: Path) -> set[str]:
    return {p.name.split(".")[0] for p in pyside_dir.iterdir()
            if p.name.startswith("Qt") and p.suffix in (".so", ".pyd")}


def qt_excludes(package_dir: Path, pyside_dir: Path) -> tuple[list[str], set[str]]:
    """(module excludes for Analysis, the Qt modules kept)."""
    keep = BASE_QT_MODULES | qt_modules_used(package_dir)
    drop = sorted(qt_modules_installed(pyside_dir) - keep)
    return [f"PySide6.{name}" for name in drop] + ["PySide6.QtAsyncio"], keep


# Qt plugins a desktop app never loads (embedded-display platforms, evdev input, a virtual keyboard, PDF as an
# image format, rare image formats), and the Qt libraries only those plugins need.
_DROPPED_PLUGIN_DIRS = {"egldeviceintegrations", "generic"}
_DROPPED_PLUGINS = ("qeglfs", "qlinuxfb", "qminimalegl", "qvkkhrdisplay", "qvnc", "qtvirtualkeyboardplugin",
                    "qpdf", "qtga", "qtiff", "qwbmp")
_DROPPED_QT_LIBS = ("Qt6Pdf", "Qt6VirtualKeyboard", "Qt6EglFSDeviceIntegration", "Qt6EglFsKmsSupport",
                    "Qt6EglFsKmsGbmSupport")


def _keep_binary(dest: str) -> bool:
    parts = PurePath(dest).parts
    name = parts[-1]
    if "plugins" in parts:
        plugin_dir = parts[parts.index("plugins") + 1] if parts.index("plugins") + 1 < len(parts) else ""
        if plugin_dir in _DROPPED_PLUGIN_DIRS:
            return False
        return not any(marker in name for marker in _DROPPED_PLUGINS)
    return not any(name.startswith(("lib" + lib, lib)) for lib in _DROPPED_QT_LIBS)


def trim_binaries(binaries):
    """Drops the Qt plugins and libraries nobody loads from an Analysis TOC of (dest, source, typecode)."""
    return [entry for entry in binaries if _keep_binary(entry[0])]


def _keep_data(dest: str, locales: set[str] | None) -> bool:
    parts = PurePath(dest).parts
    name = parts[-1]
    if "qml" in parts[:3]:                               # QML imports: the app has no QML
        return False
    if name == "qtwebengine_devtools_resources.pak":     # developer tools are never opened
        return False
    if "qtwebengine_locales" in parts:
        return locales is None or name.removesuffix(".pak") in locales
    if name.endswith(".qm"):                             # Qt's own translations: only qtbase, kept languages
        lang = name.removesuffix(".qm").partition("_")[2]
        if not name.startswith("qtbase_"):
            return False
        return locales is None or lang.replace("_", "-") in locales or lang.split("_")[0] in locales
    return True


def trim_datas(datas, locales: list[str] | None):
    """Drops the data files nobody reads from an Analysis TOC of (dest, source, typecode)."""
    wanted = None if locales is None else set(locales)
    return [entry for entry in datas if _keep_data(entry[0], wanted)]


def parse_locales(value: str | None) -> list[str] | None:
    """"all" keeps every Chromium locale; a comma list keeps those (en-US is always kept)."""
    if not value:
        return list(DEFAULT_LOCALES)
    if value.strip().lower() == "all":
        return None
    return sorted({"en-US", *(v.strip() for v in value.split(",") if v.strip())})
