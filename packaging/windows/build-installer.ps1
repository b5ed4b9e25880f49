# Builds the Windows installer from the frozen bundle (run `python packaging/build.py` first).
# Signing is optional and driven by the environment; without it the steps are skipped and said so:
#   WINDOWS_SIGN_PFX           path to a code-signing certificate (.pfx)
#   WINDOWS_SIGN_PFX_PASSWORD  its password
#   WINDOWS_SIGN_TIMESTAMP_URL RFC 3161 timestamp server (default http://timestamp.digicert.com)
# Needs Inno Setup 6 (iscc.exe on PATH or in its default folder) and, to sign, signtool.exe (Windows SDK).
$ErrorActionPreference = "Stop"
$root = Resolve-Path "$PSScriptRoot\..\.."
$bundle = Join-Path $root "dist\rulrr-desktop"
if (-not (Test-Path "$bundle\rulrr-desktop.exe")) { throw "No bundle at ${bundle}. Run python packaging/build.py first." }
$version = (& "$bundle\rulrr-desktop.exe" --version).Split(" ")[-1]
$partner = (Select-String -Path "$bundle\_internal\rulrr_desktop\resources\partner.toml" -Pattern '^name\s*=\s*"(.*)"').Matches[0].Groups[1].Value

$iscc = (Get-Command iscc.exe -ErrorAction SilentlyContinue).Source
if (-not $iscc) { $iscc = "${env:ProgramFiles(x86)}\Inno Setup 6\ISCC.exe" }

$defines = @("/DAppVersion=$version", "/DPartnerName=$partner", "/DSourceDir=$bundle", "/DOutputDir=$root\dist")
if ($env:WINDOWS_SIGN_PFX) {
    $ts = if ($env:WINDOWS_SIGN_TIMESTAMP_URL) { $env:WINDOWS_SIGN_TIMESTAMP_URL } else { "http://timestamp.digicert.com" }
    Get-ChildItem $bundle -Filter *.exe | ForEach-Object {
        & signtool.exe sign /fd SHA256 /f $env:WINDOWS_SIGN_PFX /p $env:WINDOWS_SIGN_PFX_PASSWORD /tr $ts /td SHA256 $_.FullName
        if ($LASTEXITCODE -ne 0) { throw "signtool failed on $($_.Name)" }
    }
    # Inno Setup's own sign tool line: $q is a quote and $f the file it signs (the uninstaller, the setup).
    $defines += "/DSignToolCmd=1"
    $defines += "/Srulrrsign=signtool.exe sign /fd SHA256 /f `$q$env:WINDOWS_SIGN_PFX`$q /p `$q$env:WINDOWS_SIGN_PFX_PASSWORD`$q /tr $ts /td SHA256 `$q`$f`$q"
    Write-Host "Signing: the executables and the installer are signed."
} else {
    Write-Host "Signing skipped: WINDOWS_SIGN_PFX is not set (the installer works, Windows SmartScreen will warn)."
}
& $iscc @defines "$PSScriptRoot\rulrr-desktop.iss"
if ($LASTEXITCODE -ne 0) { throw "iscc failed ($LASTEXITCODE)" }
Get-ChildItem "$root\dist\rulrr-desktop-$version-windows-x64-setup.exe"
