#!/usr/bin/env bash
# Runs a command the way a desktop session would give it: a private D-Bus session with an unlocked
# gnome-keyring (a real Secret Service on a fresh, throw-away keyring folder) and Qt set up to render
# offscreen when there is no display. Used by `make test`, `make demo` and `make bench`.
set -euo pipefail
if [ -z "${RULRR_IN_DESKTOP_SESSION:-}" ]; then
  export RULRR_IN_DESKTOP_SESSION=1
  exec dbus-run-session -- bash "$0" "$@"
fi
keyring_home=$(mktemp -d -t rulrr-keyring.XXXXXX)
trap 'rm -rf "$keyring_home"' EXIT
export XDG_DATA_HOME="$keyring_home/data"
mkdir -p "$XDG_DATA_HOME"
# gnome-keyring refuses an empty password; any other unlocks the fresh login keyring.
eval "$(echo throwaway-keyring-password | gnome-keyring-daemon --unlock --components=secrets)" >/dev/null
export GNOME_KEYRING_CONTROL
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  export QT_QPA_PLATFORM="${QT_QPA_PLATFORM:-offscreen}"
fi
if [ "$(id -u)" = 0 ]; then
  export QTWEBENGINE_DISABLE_SANDBOX=1   # Chromium's sandbox cannot run as root
fi
export QTWEBENGINE_CHROMIUM_FLAGS="${QTWEBENGINE_CHROMIUM_FLAGS:---disable-gpu --no-first-run --disable-background-networking}"
"$@"
