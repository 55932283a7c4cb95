"""A streaming XLSX writer for /export: rows go into the file as they come, so memory does not
grow with them, and a cell costs a few string operations, not a cell object.

XlsxWriter (constant-memory mode) makes the package: the workbook, the styles, the sheets
with their column widths, frozen header and bold header row, and one row of each cell style
a data row uses, which tells us the style indices it gave them. The data rows are then
written here, straight into each sheet's XML inside the zip, as the simplest SpreadsheetML
cells: `<c r="A2"><v>201</v></c>` for a number or a date (a serial day number with its
style) and `<c r="B2" t="inlineStr"><is><t>…</t></is></c>` for a text, the cells XlsxWriter
writes itself in constant-memory mode. Writing them through XlsxWriter's cell API costs
about 10 µs a cell here (100,000 cases with their history are over five million cells).

Each sheet's rows are written by a function made for its columns (`_row_writer`): one format
string a row, each column's value put in by what its kind needs (a number as it is, a name's
XML looked up, a free text escaped only when it holds a character to escape, a time through
the zone's offset of its hour), not a type dispatch and a call a cell.

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
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, tzinfo
from typing import IO, Any

# Characters XML 1.0 cannot carry (openpyxl's ILLEGAL_CHARACTERS_RE).
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")
# A free text needs more than its own characters in the XML if it holds one of these (or
# starts or ends with a space, checked apart).
_TO_ESCAPE = re.compile(r"[&<>\000-\010\013\014\016-\037]")
_SHEET_DATA = re.compile(rb"<sheetData>.*?</row>", re.DOTALL)
_DIMENSION = re.compile(rb"<dimension [^>]*/>")
_STYLE = re.compile(r'( s="\d+")?')
_EPOCH = datetime(1899, 12, 30)
_EPOCH_DAY = _EPOCH.date()
_SECONDS_PER_DAY = 86_400
# XlsxWriter keeps 7 pixels a character: a column of 7·w pixels is stored as width w, the
# width the openpyxl writer stored.
_PIXELS_PER_CHARACTER = 7
# zlib's fastest level: the sheets' XML is very regular (it compresses about 10:1 at any
# level), and level 6 spends twice the time for a file a few per cent smaller.
COMPRESSION_LEVEL = 1
# The distinct values whose cells a column keeps (names, days; the first ones met) and the
# hours whose local offset the workbook keeps (a year has 8,760): memory stays bounded.
_KEPT = 4_096
_HOURS_KEPT = 50_000
# SQLite's text of a time, as SQLAlchemy stores it: «2026-03-14 12:34:56.123456», and the
# seconds of its «34:56» (a lookup costs less than two int() of slices).
_STORED_TIME_LENGTH = 26
_MINUTE_SECONDS = {
    f"{minute:02d}:{second:02d}": minute * 60 + second
    for minute in range(60)
    for second in range(60)
}

# Column kinds: what a column's values are and how their cells are written.
NUMBER = "number"  # an int or a float
TEXT = "text"  # a free text: escaped for each cell
NAME = "name"  # a text that repeats (a state, a person, a group): its cell made once
DAY = "day"  # a date (or SQLite's text of one)
MOMENT = "moment"  # a naive UTC time (or SQLite's text of one), shown as the zone's local time


@dataclass(frozen=True)
class ColumnSpec:
    kind: str
    # DAY, MOMENT: the number format of its cells.
    number_format: str | None = None
    # NAME: the text shown for a value (a value not in it: `other`, or the value itself;
    # nothing for None or "").
    names: Mapping[Any, str] = field(default_factory=dict)
    other: str | None = None


@dataclass(frozen=True)
class SheetSpec:
    title: str
    headers: list[str]
    widths: list[int]
    columns: list[ColumnSpec]


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


def _text_cell(value: str) -> str:
    """A text cell after its reference: ` t="inlineStr"><is><t>…</t></is></c>`."""
    return f' t="inlineStr"><is>{text_xml(value)}</is></c>'


class LocalSerials:
    """Naive UTC times as the serial day numbers of their local time in `tz` (what
    `excel_serial` gives for `astimezone(tz)`). A year's export converts about a million times:
    `astimezone` costs microseconds each, so the zone's offset is looked up once per UTC hour
    (an hour in which it changes is converted time by time), and SQLite's text of a time is
    read by position, not parsed into a datetime."""

    # An hour whose times take the slow way: its seconds never fit in a day.
    _SLOW = (0, _SECONDS_PER_DAY)

    def __init__(self, tz: tzinfo) -> None:
        self._tz = tz
        # UTC hour («2026-03-14 12», or (2026, 3, 14, 12) for a datetime) -> the serial day
        # of its local start and the seconds of that day at it.
        self._hours: dict[Any, tuple[int, int]] = {}

    def __call__(self, value: str | datetime) -> str:
        if type(value) is str and len(value) == _STORED_TIME_LENGTH:
            key: Any = value[:13]
            seconds, microseconds = _MINUTE_SECONDS[value[14:19]], int(value[20:])
        else:
            if type(value) is str:
                value = datetime.fromisoformat(value)
            assert isinstance(value, datetime)
            key = (value.year, value.month, value.day, value.hour)
            seconds, microseconds = value.minute * 60 + value.second, value.microsecond
        try:
            days, start = self._hours[key]
        except KeyError:
            days, start = self._hour(key)
        seconds += start
        if seconds < _SECONDS_PER_DAY:  # the same arithmetic as excel_serial's
            return f"{days + (seconds + microseconds / 10**6) / _SECONDS_PER_DAY:.16g}"
        if type(value) is str:
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return excel_serial(value.replace(tzinfo=UTC).astimezone(self._tz).replace(tzinfo=None))

    def _hour(self, key: Any) -> tuple[int, int]:
        if isinstance(key, str):
            start = datetime.fromisoformat(f"{key}:00:00").replace(tzinfo=UTC)
        else:
            year, month, day, hour = key
            start = datetime(year, month, day, hour, tzinfo=UTC)
        first = start.astimezone(self._tz)
        last = (start + timedelta(hours=1, microseconds=-1)).astimezone(self._tz)
        since = first.replace(tzinfo=None) - _EPOCH
        found = self._SLOW
        if first.utcoffset() == last.utcoffset() and since.days > 60 and not since.microseconds:
            found = (since.days, since.seconds)
        if len(self._hours) >= _HOURS_KEPT:
            self._hours.clear()
        self._hours[key] = found
        return found


class StreamingWorkbook:
    """The sheets in order: for each, `begin_sheet`, `write_rows` per batch, `end_sheet`; then
    `close` gives the file's bytes (`discard` frees what an interrupted export holds). Times
    are shown in `tz`."""

    def __init__(self, sheets: Sequence[SheetSpec], tz: tzinfo) -> None:
        self._sheets = list(sheets)
        skeleton, self._styles = _skeleton(self._sheets)
        self._serials = LocalSerials(tz)
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
        self._rows: Callable[[Iterable[Sequence[Any]], int], str] | None = None
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
        spec = self._sheets[self._index]
        self._rows = _row_writer(spec.columns, self._styles[self._index], self._serials)
        self._written = 0

    def write_rows(
        self,
        rows: Sequence[Sequence[Any]],
        prepare: Callable[[Any], Sequence[Any]] | None = None,
    ) -> None:
        """`rows` of the sheet begun, each the values of its columns (or made into them by
        `prepare`)."""
        assert self._out is not None, "no sheet begun"
        assert self._rows is not None
        values: Iterable[Sequence[Any]] = rows if prepare is None else map(prepare, rows)
        data = self._rows(values, self._written + 2).encode()
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


def _names(spec: ColumnSpec) -> tuple[Callable[[Any], str | None], Callable[[Any], str]]:
    """A NAME column's cells after their reference ("" for no cell): the lookup of those
    made, and the function that makes one (and keeps it, up to `_KEPT`)."""
    made = {value: _text_cell(text) if text else "" for value, text in spec.names.items()}

    def make(value: Any) -> str:
        text = spec.other
        if text is None:
            text = "" if value is None else str(value)
        cell = _text_cell(text) if text else ""
        if len(made) < _KEPT:
            made[value] = cell
        return cell

    return made.get, make


def _days() -> tuple[Callable[[Any], str | None], Callable[[Any], str]]:
    """A DAY column's serial numbers: the lookup of those made, and the function that makes
    one (and keeps it, up to `_KEPT`)."""
    made: dict[Any, str] = {}

    def make(value: str | date) -> str:
        serial = excel_serial(date.fromisoformat(value) if isinstance(value, str) else value)
        if len(made) < _KEPT:
            made[value] = serial
        return serial

    return made.get, make


def _row_writer(
    columns: Sequence[ColumnSpec], styles: Sequence[str], serials: LocalSerials
) -> Callable[[Iterable[Sequence[Any]], int], str]:
    """The function that writes a sheet's rows (their values in the order of `columns`, the
    first of them numbered `first`) as XML. Made as Python source for these columns, as
    dataclasses and namedtuple make their methods: each row is one format string, and a cell
    costs only what its kind needs (no type dispatch, no call for a number or a name met
    before). None, and an empty text, is no cell."""
    scope: dict[str, Any] = {"escape_needed": _TO_ESCAPE.search, "text_cell": _text_cell}
    values = [f"v{index}" for index in range(len(columns))]
    lines = [
        "def write_rows(rows, first):",
        "    out = []",
        "    append = out.append",
        f"    for number, ({', '.join(values)},) in enumerate(rows, first):",
        "        n = str(number)",
    ]
    for index, (spec, style) in enumerate(zip(columns, styles, strict=True)):
        # Only letters, digits and a style attribute (checked) go into the source.
        value, cell, letter = values[index], f"c{index}", column_letter(index)
        assert _STYLE.fullmatch(style), style
        opening = f'<c r="{letter}{{n}}"'
        if spec.kind == NUMBER:
            lines.append(
                f"        {cell} = '' if {value} is None else "
                f"f'{opening}{style}><v>{{{value}:.16g}}</v></c>'"
            )
        elif spec.kind in (DAY, MOMENT):
            if spec.kind == DAY:
                scope[f"day{index}"], scope[f"make_day{index}"] = _days()
                serial = f"day{index}({value}) or make_day{index}({value})"
            else:
                scope["serial"] = serials.__call__  # a bound method: called faster
                serial = f"serial({value})"
            lines.append(
                f"        {cell} = '' if {value} is None else "
                f"f'{opening}{style}><v>{{{serial}}}</v></c>'"
            )
        elif spec.kind == NAME:
            scope[f"name{index}"], scope[f"make_name{index}"] = _names(spec)
            lines += [
                f"        {cell} = name{index}({value})",
                f"        if {cell} is None:",
                f"            {cell} = make_name{index}({value})",
                f"        if {cell}:",
                f"            {cell} = f'{opening}{{{cell}}}'",
            ]
        elif spec.kind == TEXT:
            # Most free texts hold nothing to escape and no space at an edge: put in as
            # they are; the others through text_xml.
            lines += [
                f"        if not {value}:",
                f"            {cell} = ''",
                f"        elif escape_needed({value}) is None and {value}.strip() == {value}:",
                f"            {cell} = f'{opening} t=\"inlineStr\"><is><t>{{{value}}}'"
                "'</t></is></c>'",
                "        else:",
                f"            {cell} = f'{opening}{{text_cell({value})}}'",
            ]
        else:
            raise ValueError(f"unknown column kind {spec.kind!r}")
    cells = "".join(f"{{c{index}}}" for index in range(len(columns)))
    lines += [f"        append(f'<row r=\"{{n}}\">{cells}</row>')", "    return ''.join(out)"]
    exec("\n".join(lines), scope)  # noqa: S102 - our own source, made of the columns' kinds
    write_rows: Callable[[Iterable[Sequence[Any]], int], str] = scope["write_rows"]
    return write_rows


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
        for column, number_format in enumerate(kind.number_format for kind in spec.columns):
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
