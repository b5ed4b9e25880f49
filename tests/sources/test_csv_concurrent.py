"""The CSV source while another process writes the export: appends in flushed pieces (half-written rows,
open quotes), a free-running writer, and an in-place rewrite. Every record is read exactly once, intact."""

from __future__ import annotations

import time

from rulrr_desktop.core.sources import CsvSource

from sources_helpers import load_helper, read_pass

writer_module = load_helper("csv_writer")


def check_exactly_once(records, ids, version=1):
    assert [r.fields["orderId"] for r in records] == [f"ORD-{i}" for i in ids]
    for r, i in zip(records, ids):
        assert r.fields == writer_module.expected(i, version), r.where


def test_every_piece_of_an_append_is_read_once(tmp_path, writers):
    path = tmp_path / "export.csv"
    writer = writers("csv_writer.py", "step", path, 0, 40, 7, stdin=True)
    source = CsvSource(path, settle_seconds=3600)   # a pause mid-row never counts as the end of the file
    records, cursor = [], None
    while True:
        line = writer.wait_for("WROTE")        # the writer flushed one piece (often half a row) and waits
        new, cursor, _ = read_pass(source, cursor, batch_size=3, group_by="orderId")
        records += new
        written = int(line.split()[1])
        # only whole rows are read, and never one that is still being written
        assert all(int(r.fields["orderId"][4:]) <= written for r in new)
        if written == 39 and [r.fields["orderId"] for r in records][-1:] == ["ORD-39"]:
            break
        writer.send()
    writer.send()
    writer.wait_for("DONE")
    writer.finish()
    records += read_pass(source, cursor)[0]
    check_exactly_once(records, range(40))
    lines = [int(r.where.split(":")[1]) for r in records]
    assert lines[0] == 2 and lines == sorted(lines)


def test_a_free_running_writer_and_a_polling_reader(tmp_path, writers):
    path = tmp_path / "export.csv"
    path.write_bytes(b"")
    writer = writers("csv_writer.py", "free", path, 0, 3000, 11)
    source = CsvSource(path, settle_seconds=3600, block_bytes=4096)
    records, cursor, passes = [], None, 0
    deadline = time.monotonic() + 60
    while not writer.done:
        assert time.monotonic() < deadline, "the writer did not finish"
        new, cursor, _ = read_pass(source, cursor, batch_size=50)
        records += new
        passes += 1
        writer.poll_line()
    writer.finish()
    records += read_pass(source, cursor)[0]
    check_exactly_once(records, range(3000))
    assert passes > 1


def test_a_rewrite_by_another_process_is_read_again_in_full(tmp_path, writers):
    path = tmp_path / "export.csv"
    writer = writers("csv_writer.py", "free", path, 0, 20, 3)
    writer.wait_for("DONE")
    source = CsvSource(path)
    records, cursor, _ = read_pass(source, None)
    check_exactly_once(records, range(20))
    rewrite = writers("csv_writer.py", "rewrite", path, 25, 2)   # the POS exports again: more rows, new content
    rewrite.wait_for("DONE")
    records, cursor, batches = read_pass(source, cursor, batch_size=10)
    assert batches[0].rewritten and not any(b.rewritten for b in batches[1:])
    check_exactly_once(records, range(25), version=2)
    assert read_pass(source, cursor)[0] == []
