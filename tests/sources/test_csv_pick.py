"""`batches(pick=...)`: the picked values of each record are exactly its values of those columns, and the
records (kept as text, parsed on use) are exactly what a pass without `pick` yields, quirks included: quoted
commas and line breaks, ragged, blank and all-empty rows, a row the parser refuses, stray cp1252 bytes, tiny
blocks, a half-written last line; batches, cursors and line numbers are the same with or without it."""

from __future__ import annotations

import pytest

from rulrr_desktop.core.sources.csv_source import CsvSource

PICK = ("order", "item", "price")


def _write(path, body: bytes) -> None:
    path.write_bytes(b"order,item,price,note\n" + body)


QUIRKS = (b"A1,Latte,\"$1,149.00\",x\n"
          b"A1,Tea,2.50,\"two\nlines\"\n"
          b"\n"
          b",,,\n"
          b"A2,Caf\xe9,3.00\n"                     # short, and a cp1252 byte
          b"A3,Bun,1.00,n,extra,values\n"
          b"A3,\"Bun \"\"XL\"\"\",1.50,\n"
          b"A4,Bad\"quote,1\n"
          b",,,note only\n"
          b"A5,Cake,4.00,")                       # half-written: no newline yet


def _pass(path, block_bytes, **kw):
    source = CsvSource(path, block_bytes=block_bytes, settle_seconds=3600)
    return list(source.batches(None, group_by="order", batch_size=2, **kw))


@pytest.mark.parametrize("block_bytes", [1024, 1 << 20])
@pytest.mark.parametrize("body", [QUIRKS, b"".join(b"B%d,Item %d,%d.00,\n" % (i // 3, i, i) for i in range(300))],
                         ids=["quirks", "plain"])
def test_picked_values_and_records_match_a_pass_without_pick(tmp_path, block_bytes, body):
    path = tmp_path / "items.csv"
    _write(path, body)
    plain = _pass(path, block_bytes)
    picked = _pass(path, block_bytes, pick=PICK)
    assert [b.cursor for b in picked] == [b.cursor for b in plain]
    assert [len(b) for b in picked] == [len(b) for b in plain] and sum(len(b) for b in plain) > 0
    for p, q in zip(picked, plain):
        assert p.rows.pick == PICK and p.rows.picked is not None
        for record, values in zip(q.records, p.rows.picked):
            assert values == (tuple(record.fields[c] for c in PICK) if record.fields else None)
        assert [(r.where, r.fields) for r in p.records] == [(r.where, r.fields) for r in q.records]
    if body is QUIRKS:
        wheres = [r.where for b in plain for r in b.records]
        assert "items.csv:4" not in wheres and "items.csv:5" not in wheres   # blank and all-empty rows
        assert not any(r.fields.get("order") == "A5" for b in plain for r in b.records)   # waits


def test_a_pick_the_file_cannot_give_is_ignored(tmp_path):
    path = tmp_path / "items.csv"
    _write(path, b"A1,Latte,4.50,\n")
    [batch] = _pass(path, 1 << 20, pick=("order", "Qty"))
    assert batch.rows.picked is None and batch.records[0].fields["item"] == "Latte"
    [batch] = _pass(path, 1 << 20, pick=("item", "price"))      # the group column is not among them
    assert batch.rows.picked is None
