#!/usr/bin/env bash
# Installs the Debian packages the app and its tests need (a Secret Service, D-Bus, Xvfb, Qt's and
# QtWebEngine's system libraries, wrk for the load benchmarks). Does nothing when they are already there.
set -euo pipefail
pkgs=(gnome-keyring dbus dbus-x11 xvfb xauth wrk libnss3 libxkbcommon0 libxkbcommon-x11-0 libgl1 libegl1
      libfontconfig1 libxcomposite1 libxdamage1 libxrandr2 libxtst6 libasound2 libxshmfence1 libgbm1
      libxkbfile1 libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
      libxcb-randr0 libxcb-render-util0 libxcb-image0 fonts-dejavu-core binutils)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
