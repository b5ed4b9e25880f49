"""Fixtures of the mapping area (helpers live in mapping_helpers.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from mapping_helpers import POS


@pytest.fixture
def pos_copy(tmp_path: Path):
    """Copies a fixture folder or file under tmp_path (for tests that change or append to it)."""
    def copy(name: str) -> Path:
        src = POS / name
        dst = tmp_path / name
        if src.is_dir():
            shutil.copytree(src, dst)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
        return dst
    return copy
