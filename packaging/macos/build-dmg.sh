#!/usr/bin/env bash
# Wraps the frozen "Rulrr Desktop.app" (run `python packaging/build.py` on a Mac first) into a dmg, and signs
# and notarises both when the environment says how; otherwise those steps are skipped and said so.
#   MACOS_SIGN_IDENTITY      "Developer ID Application: Acme POS Ltd (TEAMID)" (a keychain identity)
#   MACOS_NOTARY_APPLE_ID, MACOS_NOTARY_TEAM_ID, MACOS_NOTARY_PASSWORD (an app-specific password)
#   or MACOS_NOTARY_PROFILE  a `xcrun notarytool store-credentials` profile name
# The app is tray-only: Info.plist has LSUIElement=true (no Dock icon); this script checks it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
app="$root/dist/Rulrr Desktop.app"
[ -d "$app" ] || { echo "No app at $app: run python packaging/build.py first" >&2; exit 1; }
version=$("$app/Contents/MacOS/rulrr-desktop" --version | awk '{print $NF}')
dmg="$root/dist/rulrr-desktop-$version-macos-$(uname -m).dmg"

[ "$(/usr/libexec/PlistBuddy -c 'Print :LSUIElement' "$app/Contents/Info.plist")" = "true" ] \
  || { echo "Info.plist lacks LSUIElement=true: the app would show a Dock icon" >&2; exit 1; }

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --deep --timestamp --options runtime --entitlements "$here/entitlements.plist" \
           --sign "$MACOS_SIGN_IDENTITY" "$app"
  codesign --verify --deep --strict --verbose=2 "$app"
else
  echo "Signing skipped: MACOS_SIGN_IDENTITY is not set (Gatekeeper will ask the user to allow the app)."
fi

staging=$(mktemp -d)
trap 'rm -rf "$staging"' EXIT
cp -R "$app" "$staging/"
ln -s /Applications "$staging/Applications"
rm -f "$dmg"
hdiutil create -volname "Rulrr Desktop" -srcfolder "$staging" -fs HFS+ -format UDZO -ov "$dmg"

if [ -n "${MACOS_SIGN_IDENTITY:-}" ]; then
  codesign --force --timestamp --sign "$MACOS_SIGN_IDENTITY" "$dmg"
fi
if [ -n "${MACOS_SIGN_IDENTITY:-}" ] && { [ -n "${MACOS_NOTARY_PROFILE:-}" ] || [ -n "${MACOS_NOTARY_APPLE_ID:-}" ]; }; then
  if [ -n "${MACOS_NOTARY_PROFILE:-}" ]; then
    xcrun notarytool submit "$dmg" --keychain-profile "$MACOS_NOTARY_PROFILE" --wait
  else
    xcrun notarytool submit "$dmg" --apple-id "$MACOS_NOTARY_APPLE_ID" --team-id "$MACOS_NOTARY_TEAM_ID" \
                             --password "$MACOS_NOTARY_PASSWORD" --wait
  fi
  xcrun stapler staple "$dmg"
else
  echo "Notarisation skipped: needs MACOS_SIGN_IDENTITY and MACOS_NOTARY_PROFILE or MACOS_NOTARY_APPLE_ID/TEAM_ID/PASSWORD."
fi
echo "$dmg"
