"""How one CSV export file is written: its encoding (BOM, else UTF-8, else cp1252) and its delimiter.

Decided once per file from its head and remembered in the cursor, so that a pass over an appended file never
reads more than the new bytes. The delimiter comes from `csv.Sniffer`, restricted to the delimiters real POS
exports use.
"""

from __future__ import annotations

import codecs
import csv
from dataclasses import dataclass

DELIMITERS = ",;\t|"
FALLBACK_ENCODING = "cp1252"
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_SNIFF_CHARS = 16384


@dataclass(frozen=True, slots=True)
class FileFormat:
    encoding: str    # the codec of the body, without its BOM: "utf-8", "utf-16-le", "utf-16-be", "cp1252", ...
    bom: int         # bytes of byte-order mark to skip at the start of the file
    delimiter: str

    @property
    def newline(self) -> bytes:
        """The bytes of "\\n" in this encoding (where a block of the file may be cut)."""
        return "\n".encode(self.encoding)

    @property
    def fixed_width(self) -> int:
        """Bytes per character when that is constant for this codec (1 for single-byte codecs), else 0."""
        return 1 if codecs.lookup(self.encoding).name not in _MULTIBYTE else 0

    def to_dict(self) -> dict:
        return {"encoding": self.encoding, "bom": self.bom, "delimiter": self.delimiter}

    @classmethod
    def from_dict(cls, data: dict) -> "FileFormat":
        return cls(str(data["encoding"]), int(data["bom"]), str(data["delimiter"]))


_MULTIBYTE = {"utf-8", "utf-16-le", "utf-16-be", "utf-16", "utf-32", "utf-32-le", "utf-32-be"}


def detect_encoding(head: bytes) -> tuple[str, int]:
    """(codec, BOM length) from the first bytes of a file: a BOM decides; else UTF-8 if the head decodes as
    UTF-8 (an incomplete last character is fine: the file may be growing, or the head cut it); else cp1252."""
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding, len(bom)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
    except UnicodeDecodeError:
        return FALLBACK_ENCODING, 0
    return "utf-8", 0


def sniff_delimiter(sample: str) -> str:
    """The delimiter of a CSV sample (its first lines), one of `DELIMITERS`; "," when nothing tells."""
    sample = sample[:_SNIFF_CHARS]
    cut = max(sample.rfind("\n"), sample.rfind("\r"))
    if 0 < cut < len(sample) - 1:
        sample = sample[:cut + 1]
    first_line = sample.splitlines()[0] if sample else ""
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ""
    if delimiter in DELIMITERS and delimiter and (delimiter in first_line or not first_line):
        return delimiter
    # the Sniffer found nothing consistent (one data row, ragged rows): the header line decides
    counts = {d: first_line.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def detect_format(head: bytes, *, encoding: str | None = None, delimiter: str | None = None) -> FileFormat:
    """The format of a file from its head (up to 64 KB); `encoding`/`delimiter` force a choice (a BOM still
    decides the encoding of a file that has one)."""
    found, bom = detect_encoding(head)
    if encoding and not bom:                # a byte-order mark always wins over a configured codec
        found = codecs.lookup(encoding).name
        found = {"utf-8-sig": "utf-8", "utf-16": "utf-16-le", "utf-32": "utf-32-le"}.get(found, found)
    if not delimiter:
        text = head[bom:].decode(found, errors="replace")
        delimiter = sniff_delimiter(text)
    return FileFormat(found, bom, delimiter)
