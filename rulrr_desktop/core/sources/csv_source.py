"""The CSV source: one export file, or a folder of export files that gains new ones, read incrementally.

Each file has its own entry in the cursor: the byte offset just after the last complete record, the physical
line reached, the file's format (encoding, BOM, delimiter) and two fingerprints: a hash of the file's head
(the header and the first records, at most `HEAD_BYTES`) and a hash of the bytes just before the offset (the
"anchor"). A pass then tells apart, without ever reading the whole file again:
- append: same head, same anchor, bigger size → read from the offset;
- rewrite: the head or the anchor changed, or the file shrank below the offset → read it again from the
  start; the first batch of that file says `rewritten=True`;
- rotation: a new file in the folder is read from its start; a file that disappeared is dropped from the
  cursor (the ledger downstream dedupes orders by id and content hash, so overlapping files are harmless).

Records are parsed by the `csv` module (RFC 4180: quoted multi-line fields, `""` escapes) over blocks of
bytes decoded at once; the offset of a record's end is the text position the parser reached, turned back into
bytes. A half-written last record (no newline yet, or an open quote) waits for the next pass, unless the file
has not changed for `settle_seconds` (an export whose last line simply has no newline). A file rewritten in
place during a pass (truncated, or a new head) stops that file's pass before a torn record is yielded.

Cost: an incremental pass reads the head (4 KB), the anchor and the new bytes of each changed file; unchanged
files are only stat'ed. A full read: a block whose lines are each one record is parsed by `csv.reader` in one
C call; a batch is `RecordRows` (no dict or record object per row). Asked to `pick` columns (what the mapping
reads), the reader keeps only those values (one tuple per record) and the record's text, parsed again only if
the whole record is asked for: keeping every row's full list of values alive for a batch cost as much as
parsing. Other blocks (quoted line breaks, blank or ragged rows) go row by row.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import logging
import os
import time
from itertools import accumulate
from operator import itemgetter
from pathlib import Path
from typing import Callable, Iterator

from rulrr_desktop.core.sources.base import Batch, RecordRows, SourceInfo
from rulrr_desktop.core.sources.csv_format import FileFormat, detect_format
from rulrr_desktop.core.sources.errors import SourceUnavailable

log = logging.getLogger(__name__)
EXTENSIONS = (".csv", ".txt")
HEAD_BYTES = 4096            # the head fingerprint: header + first records
ANCHOR_BYTES = 256           # the anchor fingerprint: the bytes just before the offset
HEADER_BYTES = 8192          # the first read for a header (grows for a longer one)
SNIFF_BYTES = 65536          # what encoding and delimiter detection look at, once per file
BLOCK_BYTES = 1 << 18        # bytes decoded and parsed at once
FIRST_BLOCK_BYTES = 1 << 15  # the first block of a file's pass; each next one doubles, up to the block size
CURSOR_VERSION = 1
csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))   # a long Notes field is data, not an error
_DECODE_FALLBACK = "rulrr-cp1252-fallback"
_OTHER_BREAKS = ("\x0b", "\x0c", "\x1c", "\x1d", "\x1e", "\x85", "\u2028", "\u2029")  # str.splitlines breaks there too


def _split_lines(text: str) -> list[str]:
    """Lines as the csv module reads them from a file opened with newline="" (ending in \\r, \\n or \\r\\n).
    str.splitlines is the fast way, used unless the text holds one of the rarer breaks it also splits at."""
    if not any(ch in text for ch in _OTHER_BREAKS):
        return text.splitlines(True)
    return list(io.StringIO(text, newline=""))


def _cp1252_fallback(error: UnicodeDecodeError) -> tuple[str, int]:
    """A byte that is not UTF-8 in a UTF-8 file is read as cp1252 (a hand-edited row), never dropped."""
    bad = error.object[error.start:error.end]
    return bad.decode("cp1252", errors="replace"), error.end


codecs.register_error(_DECODE_FALLBACK, _cp1252_fallback)


def _digest(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=12).hexdigest()


def _unique_headers(row: list[str]) -> tuple[str, ...]:
    """Column names as keys: trimmed, BOM removed, blanks named by position, duplicates suffixed " (2)"."""
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(row):
        name = raw.replace("\ufeff", "").strip() if i == 0 else raw.strip()
        name = name or f"column {i + 1}"
        if name in seen:
            seen[name] += 1
            candidate = f"{name} ({seen[name]})"
            while candidate in seen:
                seen[name] += 1
                candidate = f"{name} ({seen[name]})"
            name = candidate
        seen.setdefault(name, 1)
        names.append(name)
    return tuple(names)


class _Block:
    """The complete records of one decoded block of a file, with where each ends (text position, line)."""

    __slots__ = ("start", "text", "fmt", "line0", "rows", "starts", "rec_lines", "line_ends", "end_char",
                 "end_line", "header", "picked", "_mark")

    def __init__(self, start: int, text: str, fmt: FileFormat, line0: int) -> None:
        self.start = start                   # byte offset of text[0] in the file
        self.text = text
        self.fmt = fmt
        self.line0 = line0                   # physical lines before text[0]
        self.rows: list[list[str]] = []      # record i's values (the parser's list; [] if it refused it)
        self.starts: list[int] | range = []  # the absolute 1-based line where record i starts
        self.rec_lines: list[int] | range = []   # lines of the block read up to the end of record i
        self.header: tuple[str, ...] | None = None   # for a header read: the column names
        # with a `pick`: record i's values of the picked columns (None for a record the parser refused); then
        # rows[i] may be the record's text, parsed only if someone asks for the whole record
        self.picked: list[tuple[str, ...] | None] | None = None
        self.line_ends: list[int] = []       # text position after each line of the block
        self.end_char = 0                    # text position after the last complete row (blank rows too)
        self.end_line = line0                # absolute physical line reached there
        self._mark = (0, start)              # (text position, byte offset) of the last conversion

    def end_of(self, i: int) -> tuple[int, int]:
        """(byte offset, absolute line) just after record i."""
        n = self.rec_lines[i]
        return self.byte_at(self.line_ends[n - 1]), self.line0 + n

    def byte_at(self, pos: int) -> int:
        """The file offset of text position `pos` (exact: the text is re-encoded the way it was decoded)."""
        if self.fmt.fixed_width:
            return self.start + pos
        char, byte = self._mark
        if pos < char:
            char, byte = 0, self.start
        byte += len(self.text[char:pos].encode(self.fmt.encoding, errors="surrogateescape"))
        self._mark = (pos, byte)
        return byte


class CsvSource:
    """Reads a CSV export file, or every .csv/.txt file of a folder, incrementally (see the module doc)."""

    kind = "csv"
    picks_columns = True     # batches(pick=...) is understood

    def __init__(self, path: str | os.PathLike[str], *, encoding: str | None = None,
                 delimiter: str | None = None, settle_seconds: float = 5.0,
                 block_bytes: int = BLOCK_BYTES, hold_last_run: bool = False) -> None:
        self.path = Path(path).expanduser()
        # with group_by: the run of records at the end of a file modified less than `settle_seconds` ago waits
        # for the next pass (a POS that appends an order's line items one write at a time)
        self.hold_last_run = hold_last_run
        self.encoding = encoding or None
        self.delimiter = delimiter or None
        self.settle_seconds = settle_seconds
        self.block_bytes = max(1024, block_bytes)
        self._last_format: tuple[tuple, FileFormat] | None = None    # see _detect

    def __repr__(self) -> str:
        return f"CsvSource({str(self.path)!r})"

    # -- what is there ---------------------------------------------------------------------------------------

    def files(self) -> list[Path]:
        """The export files, in a stable order (by name, then modification time)."""
        try:
            self.path.stat()
        except FileNotFoundError:
            raise SourceUnavailable(f"{self.path} does not exist") from None
        except OSError as exc:
            raise SourceUnavailable(f"{self.path} cannot be read ({exc.strerror or exc})") from None
        if not self.path.is_dir():
            return [self.path]
        try:
            entries = [(e.name.casefold(), e.stat().st_mtime_ns, Path(e.path)) for e in os.scandir(self.path)
                       if e.is_file() and e.name.lower().endswith(EXTENSIONS)
                       and not e.name.startswith((".", "~$"))]
        except OSError as exc:
            raise SourceUnavailable(f"the folder {self.path} cannot be read ({exc.strerror or exc})") from None
        return [p for _, _, p in sorted(entries)]

    def info(self) -> SourceInfo:
        """The files, and the header and format of the newest one (by modification time). Only that one file
        is opened, so that a folder of many exports stays cheap to look at."""
        files = self.files()
        headers: tuple[str, ...] = ()
        details: dict = {}
        stamped = []
        for path in files:
            try:
                stamped.append((path.stat().st_mtime_ns, path.name, path))
            except FileNotFoundError:      # rotated away since the listing
                continue
        if stamped:
            newest = max(stamped)[2]
            try:
                with open(newest, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    fmt = self._detect(f)
                    header, _, _ = self._read_header(f, fmt, size, settled=True)
            except OSError as exc:
                raise SourceUnavailable(f"{newest} cannot be read ({exc.strerror or exc})") from None
            headers = header or ()
            details = {**fmt.to_dict(), "newest": newest.name}
        return SourceInfo(self.kind, str(self.path), headers, tuple(p.name for p in files), details)

    # -- reading ---------------------------------------------------------------------------------------------

    def batches(self, cursor: dict | None, *, batch_size: int = 5000, group_by: str | None = None,
                pick: tuple[str, ...] = ()) -> Iterator[Batch]:
        """What is new since `cursor`, file by file, in batches of about `batch_size` records (a run of
        records with the same `group_by` value is never split; a batch never spans two files). A run may still
        be split across two passes when the POS appends the rest of it later.

        `pick` (two or more column names, `group_by` among them) asks for `batch.rows.picked`: each record's
        values of those columns, in that order, for a file that has them all (else `picked` is None). The whole
        record is then parsed only when asked for: the reader keeps one text per record instead of a list of
        every value."""
        batch_size = max(1, batch_size)
        start = cursor.get("files") if isinstance(cursor, dict) and cursor.get("v") == CURSOR_VERSION else None
        states: dict[str, dict] = {k: dict(v) for k, v in (start or {}).items() if isinstance(v, dict)}
        files = self.files()
        names = {p.name for p in files}
        for gone in [n for n in states if n not in names]:
            del states[gone]
        yielded_state = dict(start or {})
        pending_rewrite = False
        for path in files:
            for rows, rewritten in self._file_batches(path, states, batch_size, group_by, pick):
                snapshot = {k: dict(v) for k, v in states.items()}
                yield Batch(None, {"v": CURSOR_VERSION, "files": snapshot}, rewritten or pending_rewrite,
                            rows=rows)
                yielded_state = snapshot
                pending_rewrite = False
            if states.get(path.name, {}).get("rewritten_pending"):
                states[path.name].pop("rewritten_pending")
                pending_rewrite = True
        if states != yielded_state or pending_rewrite:
            yield Batch([], {"v": CURSOR_VERSION, "files": states}, pending_rewrite)

    # -- one file --------------------------------------------------------------------------------------------

    def _detect(self, f) -> FileFormat:
        """The format of the file `f`, detected from its head. The last head and its format are kept: a new
        Pipeline asks three times about the same file (its header, the date sniffing, the first pass), and
        sniffing the delimiter takes ~1.5 ms where comparing 64 KB takes microseconds."""
        f.seek(0)
        sample = f.read(SNIFF_BYTES)
        key = (self.encoding, self.delimiter, sample)
        last = self._last_format
        if last is not None and last[0] == key:
            return last[1]
        fmt = detect_format(sample, encoding=self.encoding, delimiter=self.delimiter)
        self._last_format = (key, fmt)
        return fmt

    def _same_file(self, f, head: bytes, size: int, old: dict) -> bool:
        """Is this still the file the cursor followed (grown or not), or was it rewritten?"""
        offset = int(old.get("offset", 0))
        head_len = int(old.get("head_len", 0))
        if size < offset or len(head) < head_len or _digest(head[:head_len]) != old.get("head"):
            return False
        begin = max(int(old.get("bom", 0)), offset - ANCHOR_BYTES)
        f.seek(begin)
        return _digest(f.read(offset - begin)) == old.get("anchor")

    @staticmethod
    def _ends_open(f, fmt: FileFormat, offset: int) -> bool:
        """Does the text before `offset` end without a line break (a settled header with no newline yet)?"""
        width = len(fmt.newline)
        if offset - width < fmt.bom:
            return False
        f.seek(offset - width)
        return f.read(width) not in (fmt.newline, "\r".encode(fmt.encoding))

    def _settled(self, mtime_ns: int) -> bool:
        return time.time() - mtime_ns / 1e9 >= self.settle_seconds

    def _file_batches(self, path: Path, states: dict[str, dict], batch_size: int, group_by: str | None,
                      pick: tuple[str, ...] = ()) -> Iterator[tuple[RecordRows, bool]]:
        name = path.name
        old = states.get(name)
        try:
            st = os.stat(path)
        except FileNotFoundError:          # rotated away between the listing and now
            states.pop(name, None)
            return
        except OSError as exc:
            raise SourceUnavailable(f"{path} cannot be read ({exc.strerror or exc})") from None
        size = st.st_size
        if old and old.get("size") == size and old.get("mtime") == st.st_mtime_ns and old.get("offset", 0) >= size:
            return                         # nothing new: not even opened
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            states.pop(name, None)
            return
        except OSError as exc:
            if path != self.path:          # one export of a folder, locked (open in Excel?): the others go on
                log.warning("skipped %s this pass: %s", name, exc.strerror or exc)
                return
            raise SourceUnavailable(f"{path} cannot be read ({exc.strerror or exc})") from None
        with f:
            head = f.read(HEAD_BYTES)
            rewritten = False
            if old is not None:
                try:
                    fmt = FileFormat.from_dict(old)
                except (KeyError, TypeError, ValueError, LookupError):
                    old = None
                else:
                    if not self._same_file(f, head, size, old):
                        old, rewritten = None, True
            if old is None:
                fmt = self._detect(f)
            settled = self._settled(st.st_mtime_ns)
            header, header_end, header_line = self._read_header(f, fmt, size, settled=settled)
            state = {**fmt.to_dict(), "size": size, "mtime": st.st_mtime_ns, "head_len": len(head),
                     "head": _digest(head)}
            if header is None:             # not even a complete header yet (or an empty file): nothing is
                # remembered, so that the format is decided on the next pass, from the header once it is there
                states[name] = {"waiting": True, **({"rewritten_pending": True} if rewritten else {})}
                return
            if old is not None and int(old["offset"]) >= header_end:
                offset, line, open_line = int(old["offset"]), int(old["line"]), bool(old.get("open"))
            else:
                offset, line, open_line = header_end, header_line, self._ends_open(f, fmt, header_end)
            first = True
            head_digest = state["head"]

            def unchanged(end: int) -> bool:
                """Not truncated below what was just read, and the same head: not rewritten in place meanwhile."""
                if os.fstat(f.fileno()).st_size < end:
                    return False
                f.seek(0)
                return _digest(f.read(len(head))) == head_digest
            columns = {h: i for i, h in enumerate(header)}
            getter = None
            if len(pick) >= 2 and all(c in columns for c in pick) and (group_by is None or group_by in pick):
                getter = itemgetter(*(columns[c] for c in pick))
            else:
                pick = ()
            blocks = self._blocks(f, fmt, header, name, offset, line, size, settled, open_line, unchanged=unchanged,
                                  getter=getter)
            group_index = (pick.index(group_by) if pick else columns.get(group_by)) if group_by else None
            for values, picked, starts, end_byte, end_line, is_open in self._group(
                    blocks, batch_size, group_by, hold_last_run=self.hold_last_run and not settled,
                    group_index=group_index, picked=getter is not None):
                begin = max(fmt.bom, end_byte - ANCHOR_BYTES)
                f.seek(begin)
                anchor = f.read(end_byte - begin)
                states[name] = {**state, "offset": end_byte, "line": end_line, "anchor": _digest(anchor),
                                **({"open": True} if is_open else {})}
                yield (RecordRows(name, header, values, starts, columns, delimiter=fmt.delimiter, pick=pick,
                                  picked=picked), rewritten and first)
                first = False
            if first:                      # no record: keep what we learnt (format, fingerprint, header end)
                anchor_begin = max(fmt.bom, offset - ANCHOR_BYTES)
                f.seek(anchor_begin)
                states[name] = {**state, "offset": offset, "line": line,
                                "anchor": _digest(f.read(offset - anchor_begin)),
                                **({"open": True} if open_line else {}),
                                **({"rewritten_pending": True} if rewritten else {})}

    def _read_header(self, f, fmt: FileFormat, size: int, *,
                     settled: bool) -> tuple[tuple[str, ...] | None, int, int]:
        """(column names, byte offset after the header record, lines it took); (None, bom, 0) when the file
        has no complete header yet."""
        for block in self._blocks(f, fmt, None, "", fmt.bom, 0, size, settled, False, header_only=True):
            if block.header is not None:
                return (block.header, *block.end_of(0))
        return None, fmt.bom, 0

    def _blocks(self, f, fmt: FileFormat, header: tuple[str, ...] | None, name: str, pos: int, line: int,
                limit: int, settled: bool, open_line: bool, *, header_only: bool = False,
                unchanged: Callable[[int], bool] | None = None, getter: Callable | None = None) -> Iterator[_Block]:
        """Decoded blocks of complete records from byte `pos` (at physical `line`) up to byte `limit`.
        `unchanged(end)` is asked after each read: False (the file is being rewritten in place) ends the pass
        over this file before anything of the read is yielded; the next pass sees the rewrite."""
        newline = fmt.newline
        width = len(newline)
        if open_line and pos < limit:     # the last pass took an unterminated line: its newline came now
            f.seek(pos)
            lead = f.read(2 * width)
            for ending in ("\r\n".encode(fmt.encoding), newline, "\r".encode(fmt.encoding)):
                if lead.startswith(ending):
                    pos += len(ending)
                    break
        # a pass starts with a small block, so that a reader that stops early (the date sniffing wants the first
        # 500 records) does not parse a whole block for nothing; the next ones double up to `block_bytes`
        step = min(self.block_bytes, FIRST_BLOCK_BYTES)
        want = HEADER_BYTES if header_only else step
        while pos < limit:
            f.seek(pos)
            data = f.read(min(want, limit - pos))
            if not data or (unchanged is not None and not unchanged(pos + len(data))):
                return
            at_end = pos + len(data) >= limit
            cut = data.rfind(newline)
            while cut > 0 and cut % width:  # a multi-byte newline must sit on a character boundary
                cut = data.rfind(newline, 0, cut + width - 1)
            if cut >= 0:
                block = self._parse(data[:cut + width], pos, fmt, header, name, line, final=False,
                                    header_only=header_only, getter=getter)
                if block.end_char > 0:
                    pos, line = block.byte_at(block.end_char), block.end_line
                    yield block
                    if header_only and block.header is not None:
                        return
                    step = want = min(self.block_bytes, step * 2)
                    continue
            if not at_end:
                want *= 2                  # one record longer than a block (a long multi-line field)
                continue
            # only a half-written record is left: it waits, unless the file has stopped changing
            if settled:
                block = self._parse(data, pos, fmt, header, name, line, final=True, header_only=header_only,
                                    getter=getter)
                if block.end_char > 0:
                    yield block
            return

    def _parse(self, chunk: bytes, start: int, fmt: FileFormat, header: tuple[str, ...] | None, name: str,
               line0: int, *, final: bool, header_only: bool, getter: Callable | None = None) -> _Block:
        """Parses the complete records of `chunk` (a run of whole lines; the last one may lack its newline
        only when `final`). The hot loop of the source. A block where every line is one record of the header's
        width (the common case) is parsed by `csv.reader` alone, in C: its lists are the records; anything
        else (quoted line breaks, blank or ragged rows, an open quote at the end, undecodable bytes) takes the
        row-by-row loop."""
        try:
            text = chunk.decode(fmt.encoding)
            dirty = False
        except UnicodeDecodeError:
            try:
                text = chunk.decode(fmt.encoding, errors="surrogateescape")
            except UnicodeDecodeError:
                text = chunk.decode(fmt.encoding, errors="replace")
            dirty = True
        block = _Block(start, text, fmt, line0)
        lines = _split_lines(text)
        line_ends = block.line_ends = list(accumulate(map(len, lines)))
        last_line = len(lines)
        if (header and not header_only and not dirty and last_line
                and self._parse_simple(block, lines, header, final, getter)):
            return block
        reader = csv.reader(lines, delimiter=fmt.delimiter)
        rows = block.rows
        append_row = rows.append
        starts: list[int] = []
        rec_lines: list[int] = []
        block.starts, block.rec_lines = starts, rec_lines
        append_start = starts.append
        append_line = rec_lines.append
        nh = len(header) if header else 0
        prev = 0                           # lines the parser had read after the previous row
        first = line0 + 1
        while True:
            try:
                for row in reader:
                    ln = reader.line_num
                    if ln >= last_line and not final and text.count('"', line_ends[prev - 1] if prev else 0) % 2:
                        break              # an open quote: the record goes on after this block
                    if row and (row[0] or any(row)):
                        if dirty:
                            row = self._clean(row, fmt)
                        if header_only:
                            block.header = _unique_headers(row)
                            append_row(row)
                            append_start(first + prev)
                            append_line(ln)
                            prev = ln
                            break
                        if len(row) < nh:  # a short row: "" for the missing columns
                            row.extend([""] * (nh - len(row)))
                        append_row(row)
                        append_start(first + prev)
                        append_line(ln)
                    prev = ln
                break
            except csv.Error:
                # a record the parser refuses: yield it empty (the mapping quarantines it with its line) and go on
                append_row([])
                append_start(first + prev)
                append_line(reader.line_num)
                prev = reader.line_num
        block.end_char = line_ends[prev - 1] if prev else 0
        block.end_line = line0 + prev
        if getter is not None:
            block.picked = [getter(r) if r else None for r in rows]
        return block

    @staticmethod
    def _parse_simple(block: _Block, lines: list[str], header: tuple[str, ...], final: bool,
                      getter: Callable | None) -> bool:
        """The fast path of `_parse`: True (and the block filled) when each line of `lines` is exactly one
        record; False changes nothing. Without `getter`: the records are the parser's lists, and each must have
        as many values as the header and not be blank. With `getter` (the picked columns): the records are the
        lines themselves, the parser's lists are dropped as soon as the picked values are taken (what makes
        this path fast), and a record must have the picked columns and not be blank in all of them."""
        n = len(lines)
        if not final and lines[-1].count('"') % 2:
            return False                   # the last line may open a quoted line break
        reader = csv.reader(lines, delimiter=block.fmt.delimiter)
        try:
            rows = list(reader) if getter is None else list(map(getter, reader))
        except (csv.Error, IndexError):
            return False
        if len(rows) != n:
            return False                   # a record over several lines
        if getter is None:
            nh = len(header)
            if set(map(len, rows)) != {nh} or [""] * nh in rows:
                return False               # a ragged or a blank row
            block.rows = rows
        else:
            if rows and ("",) * len(rows[0]) in rows:
                return False               # maybe a blank row
            block.rows = lines             # type: ignore[assignment]
            block.picked = rows
        block.starts = range(block.line0 + 1, block.line0 + n + 1)
        block.rec_lines = range(1, n + 1)
        block.end_char = block.line_ends[-1]
        block.end_line = block.line0 + n
        return True

    @staticmethod
    def _clean(row: list[str], fmt: FileFormat) -> list[str]:
        """Values of a block that did not decode: bytes that are not UTF-8 are read as cp1252."""
        out = []
        for value in row:
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raw = value.encode(fmt.encoding, errors="surrogateescape")
                if fmt.encoding == "utf-8":
                    value = raw.decode("utf-8", errors=_DECODE_FALLBACK)
                else:
                    value = raw.decode(fmt.encoding, errors="replace")
            out.append(value)
        return out

    @staticmethod
    def _group(blocks: Iterator[_Block], batch_size: int, group_by: str | None, hold_last_run: bool = False,
               group_index: int | None = None, picked: bool = False
               ) -> Iterator[tuple[list, list | None, list[int], int, int, bool]]:
        """Cuts the records of successive blocks into batches: (records, picked values or None, start lines,
        end byte, end line, open line). With `group_by` (its index is `group_index`, in the picked values when
        `picked`, else in the record; None when the file lacks it: then every record has the same, missing,
        value), a full batch takes the rest of its last run before it is cut; with `hold_last_run` (a file the
        POS is still writing) the run at the very end waits for the next pass, since the POS may not have
        written all of its lines yet."""
        gi = group_index

        def value(recs: list, picks: list | None, i: int) -> str | None:
            row = picks[i] if picks is not None else recs[i]
            return row[gi] if gi is not None and row else None

        def in_run(recs: list, picks: list | None, i: int, run_value: str | None) -> bool:
            """Whether record i goes on the run of `run_value`: a record the parser refused does (it may be
            one of that order's lines: mapping then quarantines the order, which it can only do when the lines
            after it come in the same batch)."""
            row = picks[i] if picks is not None else recs[i]
            return not row or (row[gi] if gi is not None else None) == run_value

        def run_value_of(recs: list, picks: list | None) -> str | None:
            """The value of the last record the parser read."""
            k = len(recs) - 1
            while k > 0 and not (picks[k] if picks is not None else recs[k]):
                k -= 1
            return value(recs, picks, k)

        batch: list = []
        bpicked: list | None = [] if picked else None
        starts: list[int] = []
        block = None
        spans: list[_Block] = []                   # the blocks the records of `batch` come from
        last: tuple[_Block, int] | None = None     # the batch's last record: (its block, its index there)
        cut_at = -1
        for block in blocks:
            recs = block.rows
            picks = block.picked if picked else None
            lines = block.starts
            # the block's records live on only in these locals and the batches: a record is freed as soon as
            # its batch is (what is left of the block is kept, `off` records in)
            block.rows = block.picked = None   # type: ignore[assignment]
            off = 0
            n = len(recs)
            if n:
                spans.append(block)
            i = 0
            while i < n:
                if len(batch) < batch_size:
                    take = min(batch_size - len(batch), n - i)
                    if i == 0 and take == n:
                        batch.extend(recs)
                        starts.extend(lines)
                        if bpicked is not None:
                            bpicked.extend(picks)
                    else:
                        batch.extend(recs[i:i + take])
                        starts.extend(lines[i:i + take])
                        if bpicked is not None:
                            bpicked.extend(picks[i:i + take])
                    i += take
                    last = (block, off + i - 1)
                    if len(batch) < batch_size:
                        break
                    if group_by is None:
                        cut_at, cut_line = block.end_of(off + i - 1)
                        yield batch, bpicked, starts, cut_at, cut_line, False
                        batch, starts, spans = [], [], [block] if i < n else []
                        bpicked = [] if picked else None
                        recs, lines, picks, off, n, i = _rest(recs, lines, picks, off, n, i)
                        continue
                run_value = run_value_of(batch, bpicked)
                run_from = i
                while i < n and in_run(recs, picks, i, run_value):
                    batch.append(recs[i])
                    starts.append(lines[i])
                    if bpicked is not None:
                        bpicked.append(picks[i])
                    i += 1
                if i > run_from:
                    last = (block, off + i - 1)
                if i < n:                  # the run ended in this block (maybe at its first record)
                    cut_at, cut_line = last[0].end_of(last[1])
                    yield batch, bpicked, starts, cut_at, cut_line, False
                    batch, starts, spans = [], [], [block]
                    bpicked = [] if picked else None
                    recs, lines, picks, off, n, i = _rest(recs, lines, picks, off, n, i)
        if block is None:
            return
        if hold_last_run and group_by and batch:
            run_value = run_value_of(batch, bpicked)
            run = 1
            while run < len(batch) and in_run(batch, bpicked, len(batch) - run - 1, run_value):
                run += 1
            if run < len(batch):           # yield up to the record before the run; the run waits
                skip = run
                for span in reversed(spans):
                    if skip < len(span.starts):
                        end_byte, end_line = span.end_of(len(span.starts) - 1 - skip)
                        yield (batch[:-run], bpicked[:-run] if bpicked is not None else None, starts[:-run],
                               end_byte, end_line, False)
                        break
                    skip -= len(span.starts)
            return
        # the last batch ends where the last block ends (blank lines after the last record included)
        end_byte = block.byte_at(block.end_char)
        if batch or end_byte > cut_at:
            is_open = block.end_char == len(block.text) and not block.text.endswith(("\n", "\r"))
            yield batch, bpicked, starts, end_byte, block.end_line, is_open


def _rest(recs: list, lines, picks: list | None, off: int, n: int, i: int) -> tuple:
    """What is left of a block's records after its first `i` went into a batch: (records, lines, picked,
    offset in the block, count, 0)."""
    return recs[i:], lines[i:], (picks[i:] if picks is not None else None), off + i, n - i, 0
