"""Helpers of the packaging tests (a module of its own: test modules cannot import a conftest reliably)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"


def load_packaging_module(name: str):
    """Imports packaging/<name>.py under a name of its own (packaging/ holds scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"rulrr_packaging_{name}", PACKAGING / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
