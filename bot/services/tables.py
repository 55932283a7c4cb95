"""Reading the spreadsheets people send: CSV or XLSX in, rows of cells out.

Shared by the roster import, the monthly results import and the workbook import. A cell
keeps its value as the file holds it (text, a number, a date) and, for XLSX, its number
format, so a cell formatted as percent (0.875 shown as 87.5 %) can be read as 87.5.
Nothing here touches the database: the imports run it in a worker thread.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

XLSX_SUFFIXES = frozenset({".xlsx"})
CSV_SUFFIXES = frozenset({".csv", ".txt"})


@dataclass(frozen=True)
class RowError:
    """A refused row: `line` in the file (the header is line 1; 0 = the file as a whole),
    `key` of the reason text, and for a workbook the `sheet` it is on."""

    line: int
    key: str
    args: dict[str, object] = field(default_factory=dict)
    sheet: str = ""


class Unreadable(Exception):
    """The file is damaged or not what its name says."""


class NotATable(Unreadable):
    """A text file with no separated columns at all (a letter saved as .txt, say)."""


@dataclass(frozen=True)
class Cell:
    value: object  # None, str, int, float, bool, date or datetime
    number_format: str = "General"
    link: str | None = None  # the address of a hyperlink on the cell (read when asked)

    @property
    def text(self) -> str:
        return cell_text(self.value)

    @property
    def percent(self) -> bool:
        """Shown as a percent: the value is a fraction (0.875 is 87.5 %). A quoted or escaped
        sign (`0.0"%"`, `0.0\\%`) is only a label after the number as it is."""
        return "%" in _LITERALS.sub("", self.number_format)

    @property
    def empty(self) -> bool:
        return not self.text.strip()


Row = list[Cell]
# The literal parts of a number format: "quoted text" and \x escapes.
_LITERALS = re.compile(r'"[^"]*"|\\.')


def kind_of(filename: str) -> str | None:
    """The kind of a file by its name: xlsx, csv, or None for any other."""
    suffix = Path(filename).suffix.lower()
    if suffix in XLSX_SUFFIXES:
        return "xlsx"
    if suffix in CSV_SUFFIXES:
        return "csv"
    return None


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y") if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.strftime("%d.%m.%Y")
    return str(value)


# Excel's serial day numbers of 01.01.2000 and 31.12.2100.
_SERIALS = (36526, 73415)
_EXCEL_EPOCH = datetime(1899, 12, 30)


def excel_day(value: object) -> date | None:
    """The day of a plain number in a date column — a date cell that lost its format (pasted
    as values, say) holds Excel's serial day number, 46296 for 01.10.2026; None otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not _SERIALS[0] <= value <= _SERIALS[1]:
        return None
    return (_EXCEL_EPOCH + timedelta(days=float(value))).date()


def csv_rows(data: bytes, *, text_file: bool = False) -> list[Row]:
    """The rows of a CSV file (UTF-8, with or without BOM, Windows-1251, or UTF-16 with a
    BOM as Excel's «Unicode text» saves it; "," or ";" or a tab between the cells)."""
    text = _decode(data)
    head = text.splitlines()[:HEADER_SEARCH]
    # A .txt is a table (Excel's «Unicode text») only with three columns somewhere in its
    # first lines: a letter may have a comma, hardly two of one separator on a line.
    if (
        text_file
        and text.strip()
        and not any(line.count(d) >= 2 for line in head for d in DELIMITERS)
    ):
        raise NotATable("no column separators")
    delimiter = _delimiter(text)
    try:
        return [
            [Cell(value) for value in row]
            for row in csv.reader(io.StringIO(text), delimiter=delimiter)
        ]
    except csv.Error as error:
        raise Unreadable(str(error)) from error


DELIMITERS = (",", ";", "\t")


def _delimiter(text: str) -> str:
    """The separator, judged by the header: the first of the first lines with at least two
    of one separator (a title row above it has fewer), its most frequent one (a tie keeps
    ","). Counting over the whole file would let the data decide: a roster lead of many
    groups lists them separated by ";" in a comma-separated file."""
    for line in text.splitlines()[:HEADER_SEARCH]:
        counts = {delimiter: line.count(delimiter) for delimiter in DELIMITERS}
        if max(counts.values()) >= 2:
            return max(DELIMITERS, key=counts.__getitem__)
    return max(DELIMITERS, key=text[:4096].count)


def _decode(data: bytes) -> str:
    try:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            text = data.decode("utf-16")
        else:
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("cp1251")  # some bytes are no character in it either
    except UnicodeDecodeError as error:
        raise Unreadable(f"not a text file: {error.reason}") from error
    if "\x00" in text:
        raise Unreadable("not a text file")
    return text


def xlsx_sheet_names(data: bytes) -> list[str]:
    """The sheet names of an XLSX file, without reading the sheets."""
    workbook = _open_workbook(data)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def xlsx_sheets(
    data: bytes, wanted: set[str] | None = None, *, links: bool = False
) -> list[tuple[str, list[Row]]]:
    """(sheet name, rows) of every sheet — or of those whose normalized name is in `wanted` —
    in the workbook's order. With `links`, the cells carry their hyperlinks' addresses (a
    cell showing «Запись» that opens the recording): the file is then read in full, as a
    read-only workbook has no hyperlinks."""
    workbook = _open_workbook(data, read_only=not links)
    try:
        return [
            (sheet.title, _rows(sheet))
            for sheet in workbook.worksheets
            if wanted is None or normalize(sheet.title) in wanted
        ]
    except Exception as error:  # a damaged sheet surfaces only when it is read
        raise Unreadable(str(error)) from error
    finally:
        workbook.close()


def xlsx_first_sheet(data: bytes) -> list[Row]:
    """The rows of the first sheet of an XLSX file."""
    workbook = _open_workbook(data)
    try:
        return _rows(workbook.worksheets[0]) if workbook.worksheets else []
    except Exception as error:
        raise Unreadable(str(error)) from error
    finally:
        workbook.close()


def _rows(sheet: Any) -> list[Row]:
    if hasattr(sheet, "reset_dimensions"):
        # The size a file states may be wrong (some tools write "A1"): a read-only sheet
        # would be cut to it, so every row is read as far as it goes.
        sheet.reset_dimensions()
    # An empty cell of a read-only sheet has no number format, nor any cell a hyperlink.
    return [
        [
            Cell(
                cell.value,
                getattr(cell, "number_format", None) or "General",
                _link(getattr(cell, "hyperlink", None)),
            )
            for cell in row
        ]
        for row in sheet.iter_rows()
    ]


def _link(hyperlink: Any) -> str | None:
    target = getattr(hyperlink, "target", None)
    return target.strip() or None if isinstance(target, str) else None


def _open_workbook(data: bytes, *, read_only: bool = True) -> Any:
    from openpyxl import load_workbook

    try:
        return load_workbook(io.BytesIO(data), read_only=read_only, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise Unreadable(str(error)) from error


_SPACES = re.compile(r"\s+")


def normalize(text: str) -> str:
    """For matching names people type: case, «ё», and runs of spaces do not matter."""
    return _SPACES.sub(" ", text.replace("ё", "е").replace("Ё", "Е")).strip().casefold()


def header_columns(header: Row, aliases: dict[str, tuple[str, ...]]) -> dict[str, int]:
    """{field: column index} for the header cells that name a field (case-insensitive; the
    first column naming a field wins)."""
    by_alias = {normalize(alias): name for name, names in aliases.items() for alias in names}
    columns: dict[str, int] = {}
    for index, cell in enumerate(header):
        title = normalize(cell.text)
        name = by_alias.get(title) or by_alias.get(_PERCENT_SUFFIX.sub("", title))
        if name is not None and name not in columns:
            columns[name] = index
    return columns


# «Оценка, %», «балл (%)»: the unit in the header does not change the column.
_PERCENT_SUFFIX = re.compile(r"\s*[,(]?\s*%\s*\)?$")


# The header may come after a title and blank rows, within this many rows of the top.
HEADER_SEARCH = 10


def find_header(
    rows: list[Row], aliases: dict[str, tuple[str, ...]], required: tuple[str, ...]
) -> int:
    """The index of the header row: the first of the top HEADER_SEARCH rows that names every
    `required` field (a title, merged or not, and blank rows may come before it); if none
    does, the first row that is not blank (its missing columns are what the refusal names)."""
    first: int | None = None
    for index, row in enumerate(rows[:HEADER_SEARCH]):
        if all(cell.empty for cell in row):
            continue
        if first is None:
            first = index
        columns = header_columns(row, aliases)
        if all(name in columns for name in required):
            return index
    return first or 0


def data_rows(rows: list[Row], header: int = 0) -> list[tuple[int, Row]]:
    """The rows after the header (`rows[header]`), with their line numbers in the file (the
    first row is line 1); blank rows are left out."""
    return [
        (number, cells)
        for number, cells in enumerate(rows[header + 1 :], start=header + 2)
        if any(not cell.empty for cell in cells)
    ]


def cell_at(row: Row, index: int | None) -> Cell:
    if index is None or index >= len(row):
        return Cell(None)
    return row[index]
