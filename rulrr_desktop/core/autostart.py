"""Start at login, the way each OS expects it: an XDG autostart entry on Linux, a LaunchAgent on macOS, an
HKCU Run value on Windows.

Qt-free so the wizard, the settings dialog and a headless installer can all use it. Each OS gets one small
class with `is_enabled()`, `enable()`, `disable()`; the file/registry content is built by pure functions so
the macOS and Windows forms are unit-tested on Linux. One entry per profile, so two stores on one machine
each start their own copy.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Protocol, Sequence

from rulrr_desktop import APP_ID, APP_NAME
from rulrr_desktop.core.errors import AppError


class AutostartError(AppError):
    title = "Start at login could not be changed"
    action = "You can start Rulrr Desktop yourself after logging in; everything else works as usual."


def launch_command(profile: str = "default", home: str | None = None) -> list[str]:
    """The command that starts this app in the tray (no window) for `profile`."""
    if getattr(sys, "frozen", False):
        cmd = [sys.executable]
    else:
        cmd = [sys.executable, "-m", "rulrr_desktop"]
    if home:
        cmd += ["--home", str(home)]
    if profile != "default":
        cmd += ["--profile", profile]
    return cmd + ["app", "--background"]


def _suffix(profile: str) -> str:
    return "" if profile == "default" else f"-{profile}"


# --- Linux ---------------------------------------------------------------------------------------------------

def desktop_entry(command: Sequence[str], profile: str = "default") -> str:
    """An XDG autostart .desktop file (Desktop Entry Specification, Exec quoting rules)."""
    def quote(arg: str) -> str:
        if arg and not any(c in arg for c in ' \t\n"\'\\><~|&;$*?#()`%'):
            return arg
        escaped = arg.replace("\\", "\\\\").replace('"', '\\"').replace("`", "\\`").replace("$", "\\$")
        return f'"{escaped}"'.replace("%", "%%")
    name = APP_NAME if profile == "default" else f"{APP_NAME} ({profile})"
    return ("[Desktop Entry]\n"
            "Type=Application\n"
            f"Name={name}\n"
            "Comment=Sends your store's orders to Rulrr\n"
            f"Exec={' '.join(quote(a) for a in command)}\n"
            f"Icon={APP_ID}\n"
            "Terminal=false\n"
            "X-GNOME-Autostart-enabled=true\n"
            "X-GNOME-Autostart-Delay=10\n"
            "Hidden=false\n")


class XdgAutostart:
    """`$XDG_CONFIG_HOME/autostart/rulrr-desktop[-profile].desktop`."""

    def __init__(self, command: Sequence[str], profile: str = "default",
                 env: dict[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        base = Path(env.get("XDG_CONFIG_HOME") or Path.home() / ".config")
        self.path = base / "autostart" / f"{APP_ID}{_suffix(profile)}.desktop"
        self.command, self.profile = list(command), profile

    def is_enabled(self) -> bool:
        if not self.path.exists():
            return False
        text = self.path.read_text(encoding="utf-8", errors="replace")
        return "Hidden=true" not in text and "X-GNOME-Autostart-enabled=false" not in text

    def enable(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(desktop_entry(self.command, self.profile), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            raise AutostartError(f"{self.path} could not be written ({exc.strerror})") from None

    def disable(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise AutostartError(f"{self.path} could not be removed ({exc.strerror})") from None


# --- macOS ---------------------------------------------------------------------------------------------------

def launch_agent_label(profile: str = "default") -> str:
    return f"com.rulrr.desktop{'.' + profile if profile != 'default' else ''}"


def launch_agent_plist(command: Sequence[str], profile: str = "default") -> bytes:
    """A LaunchAgent that runs the app once at login (not kept alive: quitting it means quitting it)."""
    import plistlib
    return plistlib.dumps({
        "Label": launch_agent_label(profile),
        "ProgramArguments": list(command),
        "RunAtLoad": True,
        "KeepAlive": False,
        "ProcessType": "Interactive",
    })


class LaunchAgentAutostart:
    """`~/Library/LaunchAgents/com.rulrr.desktop[.profile].plist`."""

    def __init__(self, command: Sequence[str], profile: str = "default", user_home: Path | None = None) -> None:
        self.path = (user_home or Path.home()) / "Library" / "LaunchAgents" / f"{launch_agent_label(profile)}.plist"
        self.command, self.profile = list(command), profile

    def is_enabled(self) -> bool:
        return self.path.exists()

    def enable(self) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.path.write_bytes(launch_agent_plist(self.command, self.profile))
        except OSError as exc:
            raise AutostartError(f"{self.path} could not be written ({exc.strerror})") from None

    def disable(self) -> None:
        self.path.unlink(missing_ok=True)


# --- Windows -------------------------------------------------------------------------------------------------

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"


def run_value_name(profile: str = "default") -> str:
    return APP_NAME if profile == "default" else f"{APP_NAME} ({profile})"


def run_value_data(command: Sequence[str]) -> str:
    """The Run value: a Windows command line (each argument quoted the way CreateProcess splits them)."""
    import subprocess
    return subprocess.list2cmdline(list(command))


class Registry(Protocol):
    """The few winreg calls used, so a fake registry can stand in on other OSes."""

    def get(self, key: str, name: str) -> str | None: ...
    def set(self, key: str, name: str, value: str) -> None: ...
    def delete(self, key: str, name: str) -> None: ...


class WinRegistry:
    """HKEY_CURRENT_USER through winreg (Windows only)."""

    def __init__(self) -> None:
        import winreg  # type: ignore[import-not-found]
        self._w = winreg

    def get(self, key: str, name: str) -> str | None:
        try:
            with self._w.OpenKey(self._w.HKEY_CURRENT_USER, key) as k:
                return self._w.QueryValueEx(k, name)[0]
        except FileNotFoundError:
            return None

    def set(self, key: str, name: str, value: str) -> None:
        with self._w.CreateKey(self._w.HKEY_CURRENT_USER, key) as k:
            self._w.SetValueEx(k, name, 0, self._w.REG_SZ, value)

    def delete(self, key: str, name: str) -> None:
        try:
            with self._w.OpenKey(self._w.HKEY_CURRENT_USER, key, 0, self._w.KEY_SET_VALUE) as k:
                self._w.DeleteValue(k, name)
        except FileNotFoundError:
            pass


class RunKeyAutostart:
    """HKCU\\...\\Run\\"Rulrr Desktop" = the command line."""

    def __init__(self, command: Sequence[str], profile: str = "default", registry: Registry | None = None) -> None:
        self.registry = registry if registry is not None else WinRegistry()
        self.name, self.value = run_value_name(profile), run_value_data(command)

    def is_enabled(self) -> bool:
        return bool(self.registry.get(RUN_KEY, self.name))

    def enable(self) -> None:
        try:
            self.registry.set(RUN_KEY, self.name, self.value)
        except OSError as exc:
            raise AutostartError(f"the Windows Run key could not be written ({exc})") from None

    def disable(self) -> None:
        self.registry.delete(RUN_KEY, self.name)


# --- the one entry point ---------------------------------------------------------------------------------------

def for_this_os(profile: str = "default", home: str | None = None, *, platform: str | None = None,
                command: Sequence[str] | None = None, **kw: Any):
    """The start-at-login switch of this OS for `profile`."""
    platform = platform or sys.platform
    command = list(command) if command is not None else launch_command(profile, home)
    if platform.startswith("win"):
        return RunKeyAutostart(command, profile, **kw)
    if platform == "darwin":
        return LaunchAgentAutostart(command, profile, **kw)
    return XdgAutostart(command, profile, **kw)


def set_enabled(switch, enabled: bool) -> None:
    (switch.enable if enabled else switch.disable)()


__all__ = ["AutostartError", "XdgAutostart", "LaunchAgentAutostart", "RunKeyAutostart", "for_this_os",
           "launch_command", "desktop_entry", "launch_agent_plist", "run_value_data", "set_enabled"]
