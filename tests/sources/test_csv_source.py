"""The CSV source on files written in-process: formats, quoting, line numbers, batches, append, rewrite,
rotation and errors."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rulrr_desktop.core.sources import CsvSource, SourceUnavailable, csv_source
from rulrr_desktop.core.sources.base import Batch

from sources_helpers import read_pass


def write(path: Path, data: str | bytes, *, encoding: str = "utf-8", mode: str = "w") -> Path:
    raw = data if isinstance(data, bytes) else data.encode(encoding)
    with open(path, mode + "b") as f:
        f.write(raw)
    return path


def values(records, key):
    return [r.fields[key] for r in records]


@pytest.mark.parametrize("encoding,bom", [
    ("utf-8", b"\xef\xbb\xbf"), ("utf-8", b""), ("cp1252", b""), ("utf-16-le", b"\xff\xfe"),
    ("utf-16-be", b"\xfe\xff")])
def test_encodings_are_detected_and_offsets_stay_exact(tmp_path, encoding, bom):
    text = "Name;Price;City\r\nCafé crème;£3,50;Zürich\r\n\"Pâte; \"\"brisée\"\"\";€4;Kraków\r\n"
    if encoding == "cp1252":
        text = text.replace("Kraków", "Krakow")     # not in cp1252
    path = write(tmp_path / "x.csv", bom + text.encode(encoding))
    records, cursor, _ = read_pass(CsvSource(path), None)
    assert [r.fields for r in records] == [
        {"Name": "Café crème", "Price": "£3,50", "City": "Zürich"},
        {"Name": 'Pâte; "brisée"', "Price": "€4", "City": "Kraków" if encoding != "cp1252" else "Krakow"}]
    state = cursor["files"]["x.csv"]
    assert (state["encoding"], state["bom"], state["delimiter"]) == (encoding, len(bom), ";")
    assert state["offset"] == path.stat().st_size
    write(path, "Crêpe;£2;Paris\r\n".encode(encoding), mode="a")
    more, _, _ = read_pass(CsvSource(path), cursor)
    assert [r.fields["Name"] for r in more] == ["Crêpe"] and more[0].where == "x.csv:4"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path, delimiter):
    rows = [["Order", "Total", "Note"], ["A-1", "1.50", "plain"], ["A-2", "2.00", "x y"]]
    path = write(tmp_path / "d.txt", "".join(delimiter.join(r) + "\n" for r in rows))
    records, _, _ = read_pass(CsvSource(path), None)
    assert [r.fields for r in records] == [dict(zip(rows[0], r)) for r in rows[1:]]
    assert CsvSource(path).info().details["delimiter"] == delimiter


def test_multiline_quoted_fields_and_line_numbers(tmp_path):
    data = ('id,note,amount\n'
            '1,"first line\nsecond ""quoted"" line\n\nfourth",1.00\n'
            '\n'
            '2,plain,"2,000.00"\n'
            '3,"a,b",3\n')
    path = write(tmp_path / "m.csv", data)
    records, _, _ = read_pass(CsvSource(path), None)
    assert [r.where for r in records] == ["m.csv:2", "m.csv:7", "m.csv:8"]
    assert records[0].fields["note"] == 'first line\nsecond "quoted" line\n\nfourth'
    assert values(records, "amount") == ["1.00", "2,000.00", "3"]


def test_headers_are_keys_duplicates_suffixed_unknown_and_ragged_kept(tmp_path):
    # a doubled BOM (a re-saved export): the first is the file's, the second sticks to the first header
    path = write(tmp_path / "h.csv", "\ufeff\ufeff Tax ,Item,Tax,,Item\n1,a,2,x,b\n1,short\n1,a,2,x,b,extra\n")
    records, _, _ = read_pass(CsvSource(path, encoding="cp1252"), None)   # the BOM wins over a forced codec
    assert list(records[0].fields) == ["Tax", "Item", "Tax (2)", "column 4", "Item (2)"]
    assert records[1].fields == {"Tax": "1", "Item": "short", "Tax (2)": "", "column 4": "", "Item (2)": ""}
    assert records[2].fields["column 6"] == "extra"


def test_folder_with_two_header_versions_in_name_order(tmp_path):
    write(tmp_path / "items-2026-06-17.csv", "Transaction ID,Qty,Employee\nT3,1,Ann\n")
    write(tmp_path / "items-2026-06-12.csv", "Transaction ID,Qty\nT1,2\nT2,1\n")
    write(tmp_path / "readme.md", "not an export\n")
    source = CsvSource(tmp_path)
    records, cursor, _ = read_pass(source, None)
    assert [r.where for r in records] == ["items-2026-06-12.csv:2", "items-2026-06-12.csv:3",
                                          "items-2026-06-17.csv:2"]
    assert records[2].fields == {"Transaction ID": "T3", "Qty": "1", "Employee": "Ann"}
    assert set(cursor["files"]) == {"items-2026-06-12.csv", "items-2026-06-17.csv"}
    info = source.info()
    assert info.files == ("items-2026-06-12.csv", "items-2026-06-17.csv")
    os.utime(tmp_path / "items-2026-06-17.csv", (1_700_000_000, 1_700_000_000))    # now the older one
    assert source.info().headers == ("Transaction ID", "Qty")
    os.utime(tmp_path / "items-2026-06-12.csv", (1_600_000_000, 1_600_000_000))
    assert source.info().headers == ("Transaction ID", "Qty", "Employee")


@pytest.mark.parametrize("batch_size", [1, 2, 3, 5, 8, 100])
def test_batches_never_split_a_run_of_the_group_column(tmp_path, batch_size):
    orders = ["A", "A", "A", "B", "C", "C", "D", "D", "D", "D", "E"]
    path = write(tmp_path / "g.csv", "order,line\n" + "".join(f"{o},{i}\n" for i, o in enumerate(orders)))
    source = CsvSource(path, block_bytes=1024)
    records, _, batches = read_pass(source, None, batch_size=batch_size, group_by="order")
    assert values(records, "line") == [str(i) for i in range(len(orders))]
    for before, after in zip(batches, batches[1:]):
        if before.records and after.records:
            assert before.records[-1].fields["order"] != after.records[0].fields["order"]
    assert all(len(b.records) >= min(batch_size, 1) for b in batches if b.records)
    # resuming from any batch's cursor yields exactly the rest
    seen = 0
    for batch in batches:
        seen += len(batch.records)
        rest, _, _ = read_pass(CsvSource(path), batch.cursor)
        assert values(rest, "line") == [str(i) for i in range(seen, len(orders))]


@pytest.mark.parametrize("batch_size", [3, 7, 30])
def test_runs_and_offsets_across_small_blocks(tmp_path, batch_size):
    rows = "".join(f'O{i // 4},"multi\nline {i}, ""q""",{"é" * (i % 3)}\n' for i in range(400))
    path = write(tmp_path / "b.csv", "order,note,x\n" + rows)
    records, cursor, batches = read_pass(CsvSource(path, block_bytes=1024), None, batch_size=batch_size,
                                         group_by="order")
    assert [r.fields["note"] for r in records] == [f'multi\nline {i}, "q"' for i in range(400)]
    assert [r.where for r in records] == [f"b.csv:{2 + 2 * i}" for i in range(400)]
    assert cursor["files"]["b.csv"]["offset"] == path.stat().st_size
    assert all(len({r.fields["order"] for r in b.records} & {r.fields["order"] for r in a.records}) == 0
               for a, b in zip(batches, batches[1:]))
    seen = 0
    for batch in batches:                  # every cursor resumes exactly after its batch, mid-block or not
        seen += len(batch.records)
        rest, _, _ = read_pass(CsvSource(path, block_bytes=1024), batch.cursor)
        assert [r.where for r in rest] == [f"b.csv:{2 + 2 * i}" for i in range(seen, 400)]


def test_half_written_records_wait_for_the_next_pass(tmp_path):
    path = write(tmp_path / "p.csv", 'id,note\n1,done\n2,"open quote\n')
    source = CsvSource(path)
    records, cursor, _ = read_pass(source, None)
    assert values(records, "id") == ["1"]
    write(path, 'still open"\n3,no newline yet', mode="a")
    records, cursor, _ = read_pass(source, cursor)
    assert [r.fields for r in records] == [{"id": "2", "note": "open quote\nstill open"}]
    write(path, "\n4,x\n", mode="a")
    records, cursor, _ = read_pass(source, cursor)
    assert [(r.where, r.fields["id"], r.fields["note"]) for r in records] == [("p.csv:5", "3", "no newline yet"),
                                                                             ("p.csv:6", "4", "x")]
    assert read_pass(source, cursor)[0] == []


def test_a_settled_last_line_without_newline_is_read_once(tmp_path):
    path = write(tmp_path / "s.csv", "id,v\n1,a\n2,b")
    old = path.stat().st_mtime - 60
    os.utime(path, (old, old))
    source = CsvSource(path, settle_seconds=5)
    records, cursor, _ = read_pass(source, None)
    assert values(records, "id") == ["1", "2"]
    assert read_pass(source, cursor)[0] == []
    write(path, "\r\n3,c\n", mode="a")          # the POS later finishes the line and goes on
    records, cursor, _ = read_pass(source, cursor)
    assert [(r.where, r.fields["id"]) for r in records] == [("s.csv:4", "3")]


def test_rewrite_is_detected_and_read_again(tmp_path):
    path = write(tmp_path / "r.csv", "id,v\n1,a\n2,b\n3,c\n")
    source = CsvSource(path)
    _, cursor, _ = read_pass(source, None)
    write(path, "id,v\n1,a\n2,B\n3,c\n4,d\n")            # same head and size class, a changed row
    records, cursor, batches = read_pass(source, cursor)
    assert values(records, "v") == ["a", "B", "c", "d"] and batches[0].rewritten
    write(path, "id,v\n9,z\n")                          # shrank below the offset
    records, cursor, batches = read_pass(source, cursor)
    assert values(records, "id") == ["9"] and batches[0].rewritten
    write(path, "id,v\n9,z\n10,y\n", mode="w")           # an append-like rewrite is an append
    records, cursor, batches = read_pass(source, cursor)
    assert values(records, "id") == ["10"] and not batches[0].rewritten
    write(path, "id,v,new\n")                           # rewritten to a header only
    records, cursor, batches = read_pass(source, cursor)
    assert records == [] and [b.rewritten for b in batches] == [True]


def test_rotation_new_file_read_and_vanished_file_forgotten(tmp_path):
    write(tmp_path / "a.csv", "id\n1\n2\n")
    source = CsvSource(tmp_path)
    _, cursor, _ = read_pass(source, None)
    write(tmp_path / "b.csv", "id\n3\n")
    (tmp_path / "a.csv").unlink()
    records, cursor, batches = read_pass(source, cursor)
    assert values(records, "id") == ["3"] and not any(b.rewritten for b in batches)
    assert set(cursor["files"]) == {"b.csv"}
    write(tmp_path / "a.csv", "id\n1\n2\n")            # back again: a new file to this source
    assert values(read_pass(source, cursor)[0], "id") == ["1", "2"]


def test_stray_cp1252_bytes_in_a_utf8_file_do_not_stop_the_pass(tmp_path):
    head = "name,price\n" + "".join(f"item {i},1\n" for i in range(csv_source.SNIFF_BYTES // 8))  # decided UTF-8
    path = write(tmp_path / "u.csv", head.encode() + b"Caf\xe9 cr\xe8me,\xa33\nCaf\xc3\xa9,2\n")
    records, cursor, _ = read_pass(CsvSource(path), None)
    assert [r.fields["name"] for r in records[-2:]] == ["Café crème", "Café"]
    assert records[-2].fields["price"] == "£3"
    assert cursor["files"]["u.csv"]["offset"] == path.stat().st_size


def test_an_incremental_pass_reads_only_the_head_and_the_new_bytes(tmp_path, monkeypatch):
    path = write(tmp_path / "big.csv", "id,payload\n" + "".join(f"{i},{'x' * 90}\n" for i in range(20000)))
    source = CsvSource(path)
    _, cursor, _ = read_pass(source, None)
    write(path, "".join(f"{i},new\n" for i in range(20000, 20100)), mode="a")
    read_bytes = []
    real_open = open

    class Counting:
        def __init__(self, f):
            self.f = f

        def read(self, n=-1):
            data = self.f.read(n)
            read_bytes.append(len(data))
            return data

        def __getattr__(self, name):
            return getattr(self.f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()
    monkeypatch.setattr(csv_source, "open", lambda *a, **k: Counting(real_open(*a, **k)), raising=False)
    records, _, _ = read_pass(source, cursor)
    assert values(records, "id") == [str(i) for i in range(20000, 20100)]
    new_bytes = sum(len(f"{i},new\n") for i in range(20000, 20100))
    # per file whatever its size: head, header, anchors; and the head again per block read (rewrite check)
    fixed = 2 * csv_source.HEAD_BYTES + csv_source.HEADER_BYTES + 2 * csv_source.ANCHOR_BYTES
    assert sum(read_bytes) <= fixed + new_bytes
    _, caught_up, _ = read_pass(CsvSource(path), cursor)
    read_bytes.clear()
    _, _, batches = read_pass(source, caught_up)
    assert read_bytes == [] and batches == []     # nothing new: the file is not even opened


def test_a_reader_that_stops_after_its_first_batch_parses_only_a_small_first_block(tmp_path, monkeypatch):
    """The date sniffing takes the first 500 records and stops: the first block of a pass is small (then they
    double up to the block size), so it does not parse a whole block of a big export for nothing; a full pass
    reads every record exactly once whatever the block sizes."""
    path = write(tmp_path / "big.csv", "id,payload\n" + "".join(f"{i},{'x' * 90}\n" for i in range(20000)))
    parsed: list[int] = []
    real = CsvSource._parse
    monkeypatch.setattr(CsvSource, "_parse", lambda self, chunk, *a, **k: (parsed.append(len(chunk)),
                                                                          real(self, chunk, *a, **k))[1])
    batches = CsvSource(path, settle_seconds=0).batches(None, batch_size=100)
    assert [r.fields["id"] for r in next(batches).records] == [str(i) for i in range(100)]
    batches.close()
    assert sum(parsed) <= csv_source.FIRST_BLOCK_BYTES + csv_source.HEADER_BYTES
    parsed.clear()
    records, _, _ = read_pass(CsvSource(path, settle_seconds=0), None)
    assert values(records, "id") == [str(i) for i in range(20000)]
    blocks = parsed[1:]                                   # after the header's
    assert blocks[0] <= csv_source.FIRST_BLOCK_BYTES and max(blocks) > csv_source.BLOCK_BYTES // 2
    assert all(b <= 2 * a + 200 for a, b in zip(blocks, blocks[1:]))


def test_the_format_of_an_unchanged_head_is_detected_once(tmp_path, monkeypatch):
    """info(), the date sniffing and the first pass each look at the file's format: the delimiter is sniffed
    once for the same head, and again when the head changes."""
    path = write(tmp_path / "a.csv", "id;name\n1;x\n")
    calls = []
    real = csv_source.detect_format
    monkeypatch.setattr(csv_source, "detect_format", lambda *a, **k: (calls.append(1), real(*a, **k))[1])
    source = CsvSource(path, settle_seconds=0)
    assert source.info().headers == ("id", "name")
    records, _, _ = read_pass(source, None)
    assert values(records, "name") == ["x"] and len(calls) == 1
    write(path, "id,name\n2,y\n")
    records, _, _ = read_pass(source, None)
    assert values(records, "name") == ["y"] and len(calls) == 2


def test_missing_or_unreadable_paths_raise_a_plain_error(tmp_path):
    with pytest.raises(SourceUnavailable) as err:
        list(CsvSource(tmp_path / "nope.csv").batches(None))
    assert err.value.title == "The POS export cannot be found"
    assert "nope.csv" in err.value.detail and "Settings → Data source" in err.value.action
    with pytest.raises(SourceUnavailable):
        CsvSource(tmp_path / "nope").info()


def test_empty_and_header_only_files_yield_nothing_until_rows_come(tmp_path):
    path = write(tmp_path / "e.csv", "")
    source = CsvSource(path)
    records, cursor, _ = read_pass(source, None)
    assert records == []
    write(path, "id,v\n", mode="a")
    records, cursor, _ = read_pass(source, cursor)
    assert records == []
    write(path, "1,a\n", mode="a")
    records, cursor, _ = read_pass(source, cursor)
    assert [(r.where, r.fields) for r in records] == [("e.csv:2", {"id": "1", "v": "a"})]


def test_a_foreign_cursor_means_from_the_start(tmp_path):
    path = write(tmp_path / "f.csv", "id\n1\n")
    records, _, _ = read_pass(CsvSource(path), {"v": 99, "orders": {"c": 1}})
    assert values(records, "id") == ["1"]
    assert isinstance(next(iter(CsvSource(path).batches({"junk": True}))), Batch)


def test_rare_line_breaks_inside_fields_stay_data(tmp_path):
    data = 'id,note\n1,"page\x0cbreak and\u2028line sep"\n2,"vt\x0b, nel\x85"\n3,plain\n'
    path = write(tmp_path / "r.csv", data)
    records, cursor, _ = read_pass(CsvSource(path), None)
    assert [r.fields["note"] for r in records] == ["page\x0cbreak and\u2028line sep", "vt\x0b, nel\x85", "plain"]
    assert [r.where for r in records] == ["r.csv:2", "r.csv:3", "r.csv:4"]
    assert cursor["files"]["r.csv"]["offset"] == path.stat().st_size


def test_a_record_the_parser_refuses_is_yielded_empty_and_the_pass_goes_on(tmp_path):
    import csv
    path = write(tmp_path / "big-field.csv", f"id,note\n1,ok\n2,{'x' * 5000}\n3,ok\n")
    limit = csv.field_size_limit()
    csv.field_size_limit(1000)
    try:
        records, cursor, _ = read_pass(CsvSource(path), None)
    finally:
        csv.field_size_limit(limit)
    assert [(r.where, r.fields.get("id")) for r in records] == [("big-field.csv:2", "1"), ("big-field.csv:3", None),
                                                                ("big-field.csv:4", "3")]
    assert cursor["files"]["big-field.csv"]["offset"] == path.stat().st_size


def test_a_settled_header_without_newline_then_rows(tmp_path):
    path = write(tmp_path / "h.csv", "id,v")
    os.utime(path, (1_700_000_000, 1_700_000_000))
    source = CsvSource(path)
    records, cursor, _ = read_pass(source, None)
    assert records == [] and source.info().headers == ("id", "v")
    write(path, "\n1,a\n", mode="a")
    records, cursor, _ = read_pass(source, cursor)
    assert [(r.where, r.fields) for r in records] == [("h.csv:2", {"id": "1", "v": "a"})]


def test_a_locked_export_in_a_folder_is_skipped_and_read_later(tmp_path, monkeypatch):
    write(tmp_path / "a.csv", "id\n1\n")
    write(tmp_path / "b.csv", "id\n2\n")
    real_open = open

    def locked(path, *args, **kwargs):
        if Path(path).name == "a.csv":
            raise PermissionError(13, "The process cannot access the file")
        return real_open(path, *args, **kwargs)
    monkeypatch.setattr(csv_source, "open", locked, raising=False)
    records, cursor, _ = read_pass(CsvSource(tmp_path), None)
    assert values(records, "id") == ["2"]
    with pytest.raises(SourceUnavailable):          # a single configured file that is locked is an error
        list(CsvSource(tmp_path / "a.csv").batches(None))
    monkeypatch.undo()
    records, cursor, _ = read_pass(CsvSource(tmp_path), cursor)
    assert values(records, "id") == ["1"]


def test_a_rewrite_in_place_during_a_pass_yields_no_torn_records(tmp_path, monkeypatch):
    old_rows = "".join(f"{i},old-{i}-{'x' * 40}\n" for i in range(200))
    path = write(tmp_path / "t.csv", "id,v\n" + old_rows)
    real_parse = CsvSource._parse
    calls = {"n": 0}

    def parse_then_rewrite(self, *args, **kwargs):
        block = real_parse(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == 2:                 # the header was 1; after the first block of rows, the POS rewrites
            with open(path, "r+b") as f:
                f.truncate(0)
                f.write(("id,v\n" + "".join(f"{i},new-{i}-{'y' * 60}\n" for i in range(300))).encode())
        return block
    monkeypatch.setattr(CsvSource, "_parse", parse_then_rewrite)
    source = CsvSource(path, block_bytes=2048)
    records, cursor, _ = read_pass(source, None, batch_size=10)
    assert records and all(r.fields["v"] == f"old-{r.fields['id']}-{'x' * 40}" for r in records)
    monkeypatch.undo()
    records, cursor, batches = read_pass(source, cursor)
    assert batches[0].rewritten and values(records, "v") == [f"new-{i}-{'y' * 60}" for i in range(300)]


def test_the_last_run_of_a_live_file_can_wait_for_its_other_lines(tmp_path):
    path = write(tmp_path / "live.csv", "order,item\nA,1\nA,2\nB,1\n")
    source = CsvSource(path, hold_last_run=True, settle_seconds=3600)
    records, cursor, _ = read_pass(source, None, batch_size=100, group_by="order")
    assert values(records, "item") == ["1", "2"]                  # B may still be getting lines
    write(path, "B,2\n", mode="a")
    records, cursor, _ = read_pass(source, cursor, batch_size=100, group_by="order")
    assert records == []
    write(path, "C,1\n", mode="a")
    records, cursor, _ = read_pass(source, cursor, batch_size=1, group_by="order")
    assert [(r.fields["order"], r.fields["item"], r.where) for r in records] == [("B", "1", "live.csv:4"),
                                                                                  ("B", "2", "live.csv:5")]
    os.utime(path, (1_700_000_000, 1_700_000_000))                # the file settles: C is complete
    records, cursor, _ = read_pass(source, cursor, group_by="order")
    assert values(records, "order") == ["C"]


@pytest.mark.parametrize("batch_size", [1, 4, 50, 1000])
def test_holding_the_last_run_across_blocks(tmp_path, batch_size):
    orders = [f"O{i // 3}" for i in range(300)] + ["LAST"] * 40        # the last run spans blocks
    path = write(tmp_path / "h.csv", "order,n\n" + "".join(f"{o},{i:05d}\n" for i, o in enumerate(orders)))
    source = CsvSource(path, hold_last_run=True, settle_seconds=3600, block_bytes=1024)
    records, cursor, _ = read_pass(source, None, batch_size=batch_size, group_by="order")
    assert values(records, "n") == [f"{i:05d}" for i in range(300)]
    assert read_pass(source, cursor, batch_size=batch_size, group_by="order")[0] == []
    os.utime(path, (1_700_000_000, 1_700_000_000))
    records, _, _ = read_pass(source, cursor, batch_size=batch_size, group_by="order")
    assert values(records, "n") == [f"{i:05d}" for i in range(300, 340)]


@pytest.mark.parametrize("pick", [None, ("id", "note")])
def test_a_record_the_parser_refuses_does_not_end_the_run_of_its_order_at_a_batch_cut(tmp_path, pick):
    """Order 1, a line the parser refuses, order 1 again: the batch that is full at order 1 takes the refused
    line and the rest of order 1 with it, so mapping sees the refused line among order 1's lines (and quarantines
    the order) instead of order 1 arriving in two batches, each mapped as if whole."""
    import csv
    path = write(tmp_path / "o.csv", f"id,note\n1,a\n1,b\n1,{'x' * 5000}\n1,c\n2,d\n")
    limit = csv.field_size_limit()
    csv.field_size_limit(1000)
    try:
        _, _, batches = read_pass(CsvSource(path), None, batch_size=2, group_by="id",
                                  **({"pick": pick} if pick else {}))
    finally:
        csv.field_size_limit(limit)
    assert [[(r.where, r.fields.get("id")) for r in b.records] for b in batches] == [
        [("o.csv:2", "1"), ("o.csv:3", "1"), ("o.csv:4", None), ("o.csv:5", "1")], [("o.csv:6", "2")]]
