"""The log file: what is logged before it opens (the app's first frame comes first) is written to it, in order."""

from __future__ import annotations

import logging

import pytest

from rulrr_desktop.core import logs


@pytest.fixture
def root_logger():
    """The root logger, with its handlers and level put back after the test."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield root
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)


def test_records_logged_before_the_file_opens_are_written_first(root_logger, tmp_path):
    logs.hold_early_records()
    logs.hold_early_records()            # idempotent: one holder, each record kept once
    log = logging.getLogger("rulrr_desktop.test")
    log.info("before the first frame: token refresh_token=abcdef123456")
    logging.getLogger("httpx").info("a request line that the file never takes")
    assert logs.early_records_held()
    logs.setup_logging(tmp_path / "logs", stderr=False)
    log.info("after the log file opened")
    assert not logs.early_records_held()
    assert not any(isinstance(h, logs._EarlyRecords) for h in root_logger.handlers)
    lines = (tmp_path / "logs" / "rulrr-desktop.log").read_text(encoding="utf-8").splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "before the first frame: token refresh_token=***", "after the log file opened"]


def test_the_holder_keeps_the_first_records_and_every_warning(root_logger, tmp_path, monkeypatch):
    monkeypatch.setattr(logs, "EARLY_RECORDS_MAX", 3)
    logs.hold_early_records()
    log = logging.getLogger("rulrr_desktop.test")
    for i in range(5):
        log.info("line %d", i)
    log.warning("the export could not be read")
    logs.setup_logging(tmp_path, stderr=False)
    text = (tmp_path / "rulrr-desktop.log").read_text(encoding="utf-8")
    assert "line 2" in text and "line 3" not in text
    assert "the export could not be read" in text
    assert "2 log lines from the start were not kept" in text


def test_nothing_is_held_once_the_log_is_set_up(root_logger, tmp_path):
    logs.setup_logging(tmp_path, stderr=False)
    logs.hold_early_records()            # e.g. the app started by a command that set up logging itself
    logging.getLogger("rulrr_desktop.test").info("said once")
    logs.setup_logging(tmp_path, stderr=False)
    assert (tmp_path / "rulrr-desktop.log").read_text(encoding="utf-8").count("said once") == 1
