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


ROOT = Path(__file__).resolve().parents[2]
SCREENS = ROOT / "build" / "screens" / "connect"


def distinct_colours(image, step: int = 8) -> int:
    seen = set()
    for y in range(0, image.height(), step):
        for x in range(0, image.width(), step):
            seen.add(image.pixel(x, y))
            if len(seen) > 16:
                return len(seen)
    return len(seen)


def grab(qtbot, widget, name: str, *, min_colours: int = 2) -> Path:
    """Saves a PNG of `widget` once it has painted something (build/screens/connect/<name>.png)."""
    SCREENS.mkdir(parents=True, exist_ok=True)
    holder = {}

    def painted() -> bool:
        holder["image"] = widget.grab().toImage()
        return distinct_colours(holder["image"]) >= min_colours

    qtbot.waitUntil(painted, timeout=10000)
    path = SCREENS / f"{name}.png"
    assert holder["image"].save(str(path))
    return path


def visible_texts(widget) -> list[str]:
    """The text of every visible label and button in `widget` (what a screenshot would show)."""
    from PySide6.QtWidgets import QAbstractButton, QLabel
    texts = []
    for child in widget.findChildren(QLabel) + widget.findChildren(QAbstractButton):
        if child.isVisible():
            texts.append(child.text())
    return texts


def app_log_lines_with(caplog, *secrets: str) -> list[str]:
    """Log lines of the app's own loggers that contain one of `secrets` (before any handler's filter)."""
    return [r.getMessage() for r in caplog.records if r.name.startswith("rulrr_desktop")
            and any(s in r.getMessage() for s in secrets if s)]
