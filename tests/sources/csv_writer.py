"""A POS that writes its CSV export while the tests read it (run as a separate process).

    csv_writer.py step PATH START COUNT SEED   append rows in 1-3 flushed pieces; after each piece print
                                               "WROTE <row> <size>" and wait for a line on stdin
    csv_writer.py free PATH START COUNT SEED   append rows in flushed pieces as fast as it can; print "DONE"
    csv_writer.py rewrite PATH COUNT VERSION   rewrite the file in place (truncate + write); print "DONE"

`expected(i, version)` is what row i holds; the tests import this module to compare.
"""

from __future__ import annotations

import csv
import io
import os
import random
import sys

HEADER = ["orderId", "total", "note", "extra"]


def expected(i: int, version: int = 1) -> dict[str, str]:
    if i % 3 == 0:
        note = f'line one of {i}\r\n"quoted", line two;\nline three v{version}'
    else:
        note = f"note {i} v{version}"
    return {"orderId": f"ORD-{i}", "total": f"{i * 1.25:.2f}", "note": note, "extra": "é£€" if i % 5 == 0 else ""}


def encode_rows(rows: list[list[str]]) -> bytes:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


def row_bytes(i: int, version: int = 1) -> bytes:
    return encode_rows([list(expected(i, version).values())])


def pieces(data: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(data)), k=min(len(data) - 1, rng.randint(0, 2))))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)])]


def main(argv: list[str]) -> int:
    mode, path = argv[0], argv[1]
    if mode == "rewrite":
        count, version = int(argv[2]), int(argv[3])
        data = encode_rows([HEADER]) + b"".join(row_bytes(i, version) for i in range(count))
        with open(path, "r+b") as f:
            f.truncate(0)
            f.write(data)
        print("DONE", flush=True)
        return 0
    start, count, seed = int(argv[2]), int(argv[3]), int(argv[4])
    rng = random.Random(seed)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        if os.fstat(fd).st_size == 0:
            os.write(fd, encode_rows([HEADER]))
        for i in range(start, start + count):
            for piece in pieces(row_bytes(i), rng):
                os.write(fd, piece)           # unbuffered: every piece reaches the file as it is written
                if mode == "step":
                    print(f"WROTE {i} {os.fstat(fd).st_size}", flush=True)
                    if not sys.stdin.readline():
                        return 1
    finally:
        os.close(fd)
    print("DONE", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
