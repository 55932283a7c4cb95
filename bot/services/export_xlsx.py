"""A streaming XLSX writer for /export: rows go into the file as they come, so memory does not
grow with them, and a cell costs a few string operations, not a cell object.

XlsxWriter (constant-memory mode) makes the package: the workbook, the styles, the sheets
with their column widths, frozen header and bold header row, and one row of each cell style
a data row uses, which tells us the style indices it gave them. The data rows are then
written here, straight into each sheet's XML inside the zip, as the simplest SpreadsheetML
cells: `<c r="A2"><v>201</v></c>` for a number or a date (a serial day number with its
style) and `<c r="B2" t="inlineStr"><is><t>…</t></is></c>` for a text, the cells XlsxWriter
writes itself in constant-memory mode. Writing them through XlsxWriter's cell API costs
about 10 µs a cell here (100,000 cases with their history are over five million cells);
a row written as one string costs about a tenth of that.

The values and types are those the cell-by-cell openpyxl writer gave the same rows (the test
compares every cell): numbers as `%.16g`, dates and times as Excel's serial days (1900
system) of the naive local time, texts escaped for XML, the characters no workbook may hold
left out, a text starting with "=" a text, never a formula.

Used from a worker thread: nothing here touches the database or the event loop.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date, datetime
from typing import IO, Any

# Characters XML 1.0 cannot carry (openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
_SHEET_DATA = re.compile(rb"<sheetData>.*?</row>", re.DOTALL)
_DIMENSION = re.compile(rb"<dimension [^>]*/>")
_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.date()
_SECONDS_PER_DAY = 86_400
# XlsxWriter keeps 7 pixels a character: a column of 7·w pixels is stored as width w, the
# width the openpyxl writer stored.
_PIXELS_PER_CHARACTER = 7
# zlib's fastest level: the sheets' XML is very regular (it compresses about 10:1 at any
# level), and level 6 spends twice the time for a file a few per cent smaller.
COMPRESSION_LEVEL = 1
# The distinct texts whose XML a sheet keeps (the first ones met: the names and states);
# the rest, mostly free texts, are escaped each time.
_TEXTS_KEPT = 4_096


@dataclass(frozen=True)
class SheetSpec:
    title: str
    headers: list[str]
    widths: list[int]
    # Per column: the number format of its dates and times (None: no dates in it).
    date_formats: list[str | None]


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def excel_serial(value: datetime | date) -> str:
    """A naive date or time as Excel's serial day number, written as openpyxl writes it."""
    if isinstance(value, datetime):
        since = value - _EPOCH  # its seconds: hour·3600 + minute·60 + second, as openpyxl's
        days = since.days
        fraction = (since.seconds + since.microseconds / 10**6) / _SECONDS_PER_DAY
    else:
        days = (value - _EPOCH_DAY).days
        fraction = 0.0
    if 0 < days <= 60:  # Excel's 29.02.1900, which never was
        days -= 1
    return f"{days + fraction:.16g}"


def text_xml(value: str) -> str:
    """A text as an inline string's <t> element: illegal characters left out, XML escaped,
    spaces at its edges kept."""
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    value = value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if value != value.strip():
        return f'<t xml:space="preserve">{value}</t>'
    return f"<t>{value}</t>"


class StreamingWorkbook:
    """The sheets in order: for each, `begin_sheet`, `write_rows` per batch, `end_sheet`; then
    `close` gives the file's bytes (`discard` frees what an interrupted export holds)."""

    def __init__(self, sheets: Sequence[SheetSpec]) -> None:
        self._sheets = list(sheets)
        skeleton, self._styles = _skeleton(self._sheets)
        self._parts: dict[str, tuple[bytes, bytes]] = {}
        self._buffer = io.BytesIO()
        self._zip = zipfile.ZipFile(
            self._buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSION_LEVEL
        )
        with zipfile.ZipFile(io.BytesIO(skeleton)) as source:
            for info in source.infolist():
                data = source.read(info)
                if info.filename.startswith("xl/worksheets/sheet"):
                    self._parts[info.filename] = _split_sheet(data)
                else:
                    self._zip.writestr(info.filename, data)
        self._index = -1
        self._out: IO[bytes] | None = None
        self._rows: _RowWriter | None = None
        self._written = 0
        # zlib works without Python's lock: a batch is compressed in this thread while the
        # next one's XML is made (one at a time, so two batches at most are held).
        self._compressor = ThreadPoolExecutor(1, thread_name_prefix="export-zip")
        self._compressing: Future[int] | None = None

    def begin_sheet(self) -> None:
        self._index += 1
        name = f"xl/worksheets/sheet{self._index + 1}.xml"
        head, self._tail = self._parts.pop(name)
        self._out = self._zip.open(name, "w")
        self._out.write(head)
        self._rows = _RowWriter(self._sheets[self._index], self._styles[self._index])
        self._written = 0

    def write_rows(self, rows: Sequence[Any], make: Callable[[Any], Sequence[Any]]) -> None:
        """`rows` of the sheet begun, each made into its cells' values by `make`."""
        assert self._out is not None, "no sheet begun"
        assert self._rows is not None
        data = self._rows.xml(self._written + 2, map(make, rows)).encode()
        self._written += len(rows)
        self._compressed()
        self._compressing = self._compressor.submit(self._out.write, data)

    def _compressed(self) -> None:
        if self._compressing is not None:
            self._compressing.result()
            self._compressing = None

    def end_sheet(self) -> None:
        assert self._out is not None, "no sheet begun"
        self._compressed()
        self._out.write(self._tail)
        self._out.close()
        self._out = None

    def close(self) -> bytes:
        for name, (head, tail) in self._parts.items():  # a sheet not written: its header only
            self._zip.writestr(name, head + tail)
        self._parts.clear()
        self._zip.close()
        return self._buffer.getvalue()

    def discard(self) -> None:
        self._compressor.shutdown(wait=True)
        self._compressing = None
        if self._out is not None:
            self._out.close()
            self._out = None
        self._zip.close()
        self._buffer = io.BytesIO()


class _RowWriter:
    def __init__(self, spec: SheetSpec, styles: list[str]) -> None:
        self._letters = [column_letter(index) for index in range(len(spec.headers))]
        # The attribute of a date cell's style in each column (a number in a date column
        # keeps the style, as it did with openpyxl's number format).
        self._styles = styles
        # Most texts repeat (a state, a category, a name): each one's XML made once.
        self._texts: dict[str, str] = {}

    def text(self, value: str) -> str:
        found = self._texts.get(value)
        if found is None:
            found = f' t="inlineStr"><is>{text_xml(value)}</is></c>'
            if len(self._texts) < _TEXTS_KEPT:
                self._texts[value] = found
        return found

    def xml(self, first: int, rows: Iterable[Sequence[Any]]) -> str:
        letters, styles, text = self._letters, self._styles, self.text
        out: list[str] = []
        append = out.append
        for number, values in enumerate(rows, start=first):
            append(f'<row r="{number}">')
            for letter, style, value in zip(letters, styles, values, strict=True):
                if value is None:
                    continue
                kind = type(value)
                if kind is str:
                    if value:  # an empty text is an empty cell, as openpyxl read it back
                        append(f'<c r="{letter}{number}"{text(value)}')
                elif kind is int or kind is float:
                    append(f'<c r="{letter}{number}"{style}><v>{value:.16g}</v></c>')
                elif kind is datetime or kind is date:
                    append(f'<c r="{letter}{number}"{style}><v>{excel_serial(value)}</v></c>')
                elif kind is bool:
                    append(f'<c r="{letter}{number}" t="b"><v>{int(value)}</v></c>')
                else:
                    append(f'<c r="{letter}{number}"{text(str(value))}')
            append("</row>")
        return "".join(out)


def _skeleton(sheets: list[SheetSpec]) -> tuple[bytes, list[list[str]]]:
    """The package XlsxWriter makes for these sheets with their header rows, and per sheet and
    column the ` s="…"` attribute of its dates' style ("" for none)."""
    # XlsxWriter only when a workbook is made, not with the bot.
    import xlsxwriter

    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    header = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
    formats: dict[str, Any] = {}
    used: list[list[Any]] = []
    for spec in sheets:
        sheet = book.add_worksheet(spec.title)
        for column, width in enumerate(spec.widths):
            sheet.set_column_pixels(column, column, width * _PIXELS_PER_CHARACTER)
        sheet.freeze_panes(1, 0)
        for column, text in enumerate(spec.headers):
            sheet.write_string(0, column, text, header)
        styles: list[Any] = []
        for column, number_format in enumerate(spec.date_formats):
            if number_format is None:
                styles.append(None)
                continue
            if number_format not in formats:
                formats[number_format] = book.add_format({"num_format": number_format})
            # A blank cell of the style, in a row that `_split_sheet` drops: XlsxWriter keeps
            # only the styles cells use.
            sheet.write_blank(1, column, None, formats[number_format])
            styles.append(formats[number_format])
        used.append(styles)
    book.close()
    attributes = [
        ["" if style is None else f' s="{style.xf_index}"' for style in styles] for styles in used
    ]
    return buffer.getvalue(), attributes


def _split_sheet(data: bytes) -> tuple[bytes, bytes]:
    """A skeleton sheet's XML cut after its header row and before </sheetData> (the blank
    row of styles between them left out), without the <dimension> XlsxWriter computed for it:
    the element is optional, and the rows are not known yet when the sheet's start is
    written."""
    found = _SHEET_DATA.search(data)
    end = data.find(b"</sheetData>")
    if found is None or end < 0:
        raise ValueError("XlsxWriter wrote a sheet without rows")
    head = _DIMENSION.sub(b"", data[: found.end()], count=1)
    return head, data[end:]
