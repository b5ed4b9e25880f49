"""Start at login: the Linux entry for real (XDG_CONFIG_HOME in a tmp dir), macOS/Windows content by unit test."""

import configparser
import plistlib
import shlex
import subprocess

from rulrr_desktop.core import autostart


def test_xdg_autostart_toggles_a_desktop_file(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    cmd = ["/opt/My Apps/python", "-m", "rulrr_desktop", "--home", "/tmp/a b", "app", "--background"]
    switch = autostart.for_this_os("default", platform="linux", command=cmd, env=env)
    assert not switch.is_enabled()
    switch.enable()
    path = tmp_path / "cfg" / "autostart" / "rulrr-desktop.desktop"
    assert switch.path == path and switch.is_enabled()
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(path)
    section = entry["Desktop Entry"]
    assert section["Type"] == "Application" and section["Hidden"] == "false"
    assert shlex.split(section["Exec"]) == cmd      # the quoting survives a real shell-like split
    if subprocess.run(["which", "desktop-file-validate"], capture_output=True).returncode == 0:
        assert subprocess.run(["desktop-file-validate", str(path)], capture_output=True).returncode == 0
    switch.disable()
    assert not path.exists() and not switch.is_enabled()
    switch.disable()  # idempotent


def test_each_profile_has_its_own_entry(tmp_path):
    env = {"XDG_CONFIG_HOME": str(tmp_path)}
    a = autostart.for_this_os("default", platform="linux", command=["x"], env=env)
    b = autostart.for_this_os("cafe", platform="linux", command=["x"], env=env)
    a.enable(); b.enable()
    b.disable()
    assert a.is_enabled() and not b.is_enabled()


def test_launch_agent_plist(tmp_path):
    switch = autostart.for_this_os("default", platform="darwin", command=["/Applications/Rulrr Desktop.app/x"],
                                   user_home=tmp_path)
    switch.enable()
    data = plistlib.loads(switch.path.read_bytes())
    assert switch.path.parent == tmp_path / "Library" / "LaunchAgents"
    assert data["Label"] == "com.rulrr.desktop" and data["RunAtLoad"] is True
    assert data["ProgramArguments"] == ["/Applications/Rulrr Desktop.app/x"]
    switch.disable()
    assert not switch.is_enabled()


class FakeRegistry:
    def __init__(self):
        self.values = {}

    def get(self, key, name):
        return self.values.get((key, name))

    def set(self, key, name, value):
        self.values[(key, name)] = value

    def delete(self, key, name):
        self.values.pop((key, name), None)


def test_windows_run_key():
    reg = FakeRegistry()
    switch = autostart.for_this_os("default", platform="win32",
                                   command=[r"C:\Program Files\Rulrr Desktop\rulrr-desktop.exe", "app", "--background"],
                                   registry=reg)
    switch.enable()
    assert reg.values == {(autostart.RUN_KEY, "Rulrr Desktop"):
                          r'"C:\Program Files\Rulrr Desktop\rulrr-desktop.exe" app --background'}
    assert switch.is_enabled()
    switch.disable()
    assert not switch.is_enabled()


def test_launch_command_starts_in_the_tray():
    cmd = autostart.launch_command("cafe", "/srv/home")
    assert cmd[-2:] == ["app", "--background"] and "--profile" in cmd and "/srv/home" in cmd
