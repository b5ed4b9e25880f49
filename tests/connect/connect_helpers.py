"""Small helpers shared by the Connect tests."""

from __future__ import annotations

from pathlib import Path


def files_containing(root: Path, *needles: str) -> list[Path]:
    """Every file under `root` whose bytes contain one of `needles`."""
    hits = []
    for file in root.rglob("*") if root.exists() else []:
        if file.is_file():
            data = file.read_bytes()
            if any(n.encode() in data for n in needles if n):
                hits.append(file)
    return hits


def integration(sandbox, token: str) -> dict:
    """The sandbox's record of one integration (from /_sandbox/state)."""
    state = sandbox.state()
    items = state["integrations"]
    if isinstance(items, dict):
        items = [dict(v, token=k) if isinstance(v, dict) else v for k, v in items.items()]
    for item in items:
        if token in (item.get("token"), item.get("integration_token"), item.get("integrationToken")):
            return item
    raise AssertionError(f"the sandbox has no integration {token[:6]}…")
