#!/bin/sh
# Installs Rulrr Desktop for the current user (no root, no Python): the app under ~/.local/opt, a menu entry,
# the icon, and (with --autostart) a login item. `./install.sh --uninstall` removes it; add --remove-data to
# also delete the settings, sync state and logs (the Rulrr tokens live in the keyring: use
# `rulrr-desktop disconnect` first to delete them).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
data_home=${XDG_DATA_HOME:-$HOME/.local/share}
config_home=${XDG_CONFIG_HOME:-$HOME/.config}
prefix=${RULRR_INSTALL_PREFIX:-$HOME/.local/opt/rulrr-desktop}
bin_dir=$HOME/.local/bin
desktop_file=$data_home/applications/rulrr-desktop.desktop
autostart_file=$config_home/autostart/rulrr-desktop.desktop
icon_dir=$data_home/icons/hicolor/scalable/apps

mode=install autostart=no remove_data=no
for arg in "$@"; do
  case $arg in
    --autostart) autostart=yes ;;
    --uninstall) mode=uninstall ;;
    --remove-data) remove_data=yes ;;
    -h|--help) sed -n '2,5p' "$0"; exit 0 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

if [ "$mode" = uninstall ]; then
  rm -rf "$prefix" "$bin_dir/rulrr-desktop" "$desktop_file" "$autostart_file" "$icon_dir"/rulrr-desktop.* "$data_home"/icons/rulrr-desktop.*
  if [ "$remove_data" = yes ]; then
    rm -rf "$config_home/rulrr-desktop" "$data_home/rulrr-desktop" "${XDG_STATE_HOME:-$HOME/.local/state}/rulrr-desktop"
    echo "Rulrr Desktop and its data were removed."
  else
    echo "Rulrr Desktop was removed. Its settings and sync state were kept (use --remove-data to delete them)."
  fi
  exit 0
fi

rm -rf "$prefix.new"
mkdir -p "$prefix.new" "$bin_dir" "$data_home/applications" "$icon_dir"
cp -R "$here/rulrr-desktop" "$here/_internal" "$prefix.new/"
rm -rf "$prefix" && mv "$prefix.new" "$prefix"
ln -sf "$prefix/rulrr-desktop" "$bin_dir/rulrr-desktop"
icon=
for candidate in "$here"/share/rulrr-desktop.svg "$here"/share/rulrr-desktop.png; do
  [ -f "$candidate" ] && icon=$candidate && break
done
case $icon in
  '') echo "install.sh: the icon is missing from share/" >&2 ;;
  *.svg) cp "$icon" "$icon_dir/" ;;
  *) mkdir -p "$data_home/icons" && cp "$icon" "$data_home/icons/" ;;
esac
sed "s|^Exec=.*|Exec=\"$prefix/rulrr-desktop\"|" "$here/share/rulrr-desktop.desktop" > "$desktop_file"
if [ "$autostart" = yes ]; then
  mkdir -p "$(dirname "$autostart_file")"
  cp "$desktop_file" "$autostart_file"
fi
echo "Rulrr Desktop is installed: find it in your applications menu (or run $bin_dir/rulrr-desktop)."
