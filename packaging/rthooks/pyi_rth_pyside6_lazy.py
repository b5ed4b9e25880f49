"""Run-time hook that replaces PyInstaller's `pyi_rth_pyside6`: the same set-up, without importing Qt at start.

Why: the stock hook imports PySide6.QtCore when the frozen program starts, whatever the command, to check
for a qt.conf. That loads Qt's core and ICU (~40 MB of libraries, ~0.1 s) for `sync --once`, `status` or
`--version`, which never touch Qt. Here the environment is set at once, and the qt.conf check runs right after
the app's first `import PySide6.QtCore` (with the PyPI wheels it finds the qt.conf PySide6 registers itself).
"""


def _pyi_rthook():
    import importlib.abc
    import importlib.util
    import os
    import sys

    from _pyi_rth_utils import is_macos_app_bundle, prepend_path_to_environment_variable

    qt_dir = os.path.join(sys._MEIPASS, "PySide6") if sys.platform.startswith("win") \
        else os.path.join(sys._MEIPASS, "PySide6", "Qt")
    os.environ["QT_PLUGIN_PATH"] = os.path.join(qt_dir, "plugins")
    os.environ["QML2_IMPORT_PATH"] = os.path.join(qt_dir, "qml")
    if sys.platform.startswith("win"):
        prepend_path_to_environment_variable(sys._MEIPASS, "PATH")        # OpenSSL DLLs for QtNetwork
    if sys.platform == "darwin" and not is_macos_app_bundle:
        prepend_path_to_environment_variable(sys._MEIPASS, "DYLD_LIBRARY_PATH")

    class _AfterQtCore(importlib.abc.MetaPathFinder):
        """Finds nothing itself: wraps the loader of PySide6.QtCore so that the qt.conf check follows it."""

        def find_spec(self, name, path=None, target=None):
            if name != "PySide6.QtCore":
                return None
            sys.meta_path.remove(self)
            spec = importlib.util.find_spec(name)
            if spec is None or spec.loader is None:
                return spec
            exec_module = spec.loader.exec_module

            def exec_then_configure(module):
                exec_module(module)
                from _pyi_rth_utils import qt as qt_rth_utils
                qt_rth_utils.create_embedded_qt_conf("PySide6", qt_dir)

            spec.loader.exec_module = exec_then_configure
            return spec

    sys.meta_path.insert(0, _AfterQtCore())


_pyi_rthook()
del _pyi_rthook
