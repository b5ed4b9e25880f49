"""Smoke test of a built artifact on any OS (CI runs it on the unpacked tarball, the installed Windows app and
the app inside the dmg): the frozen binary answers `--version` and `presets`, runs its sandbox, and its web
engine renders the sandbox's Connect page offscreen. Standard library only: it runs beside the bundle, not in it.

Usage: python packaging/smoke.py PATH/TO/rulrr-desktop[.exe]    (exit 0 when every check passed)
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path


def check(name: str, ok: bool, detail: str = "") -> None:
    print(f"{'ok  ' if ok else 'FAIL'} {name}{': ' + detail if detail else ''}", flush=True)
    if not ok:
        raise SystemExit(1)


def main(binary: str) -> int:
    exe = str(Path(binary).resolve())
    home = tempfile.mkdtemp(prefix="rulrr-smoke-")
    env = {**os.environ, "RULRR_DESKTOP_HOME": home, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen"),
           "QTWEBENGINE_CHROMIUM_FLAGS": "--disable-gpu --no-first-run"}
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env, timeout=120)
    check("--version", version.returncode == 0 and version.stdout.startswith("rulrr-desktop "), version.stdout.strip())
    presets = subprocess.run([exe, "presets"], capture_output=True, text=True, env=env, timeout=120)
    check("presets", presets.returncode == 0 and "generic-csv" in presets.stdout, f"{len(presets.stdout)} chars")

    sandbox = subprocess.Popen([exe, "sandbox", "--host", "127.0.0.1", "--port", "0", "--state",
                                str(Path(home) / "sandbox.sqlite3")], stdout=subprocess.PIPE, text=True, env=env)
    try:
        first = sandbox.stdout.readline().strip()
        check("sandbox starts", first.startswith("Rulrr sandbox at "), first)
        url = first.removeprefix("Rulrr sandbox at ")
        query = urllib.parse.urlencode({"client_id": "demo-pos", "client_secret": "demo-secret"})
        with urllib.request.urlopen(urllib.request.Request(f"{url}/v1/auth/integration?{query}", method="POST"),
                                    timeout=30) as response:
            token = json.load(response)["integrationToken"]
        page = f"{url}/connect?integration_token={token}&client_id=demo-pos"
        web = subprocess.run([exe, "selftest-webview", page, "--timeout", "120"], capture_output=True, text=True,
                             env=env, timeout=240)
        report = json.loads(web.stdout.strip().splitlines()[-1]) if web.stdout.strip() else {}
        check("web engine renders the Connect page", web.returncode == 0 and report.get("text_chars", 0) > 0,
              json.dumps(report) if report else web.stderr[-2000:])
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=30)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
