"""Batch CSVs: read a file of rows, map its columns to a template's placeholders, and check
every row before anything runs.

Rows are numbered as the user sees them in a spreadsheet: the header is row 1, so the first
data row is row 2. Every error names its row.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from generation.limits import MAX_CSV_COLUMNS

# Characters that make a spreadsheet read a cell as a formula (CSV injection). Values that
# begin with one are written with a leading apostrophe, which spreadsheets show as text.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class RowError:
    row: int  # as the user counts it: the header is row 1
    message: str

    def __str__(self) -> str:
        return f"Row {self.row}: {self.message}"


@dataclass
class ParsedCsv:
    """A checked CSV: its header, its rows' placeholder values, and every error found."""

    header: list[str] = field(default_factory=list)
    mapping: dict[str, str] = field(default_factory=dict)  # placeholder -> column
    rows: list[tuple[int, dict[str, str], dict[str, str]]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    # rows holds (row number, placeholder values, the row's cells by column)

    @property
    def ok(self) -> bool:
        return not self.errors and bool(self.rows)


def _key(name: str) -> str:
    """A column name as a placeholder name: "First name" and "first_name" match."""
    return re.sub(r"[^a-z0-9]+", "_", name.strip().lower()).strip("_")


def default_mapping(fields: list[dict[str, Any]], header: list[str]) -> dict[str, str]:
    """Map each placeholder to the column of the same name (case and spacing aside)."""
    by_key = {_key(column): column for column in header}
    return {f["name"]: by_key[_key(f["name"])] for f in fields if _key(f["name"]) in by_key}


def decode(data: bytes) -> tuple[str | None, RowError | None]:
    """The file as text (UTF-8, with or without a byte-order mark), or an error naming the row
    that holds the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        row = data[: exc.start].count(b"\n") + 1
        return None, RowError(
            row,
            "this line is not UTF-8 text. Save the file as \u201cCSV UTF-8\u201d "
            "and upload it again.",
        )


def parse(
    text: str,
    *,
    fields: list[dict[str, Any]],
    max_rows: int,
    mapping: Mapping[str, str] | None = None,
) -> ParsedCsv:
    """Read and check every row of a CSV against a template's fields."""
    result = ParsedCsv()
    records, parse_error = _read(text)
    if parse_error is not None and not records:
        result.errors.append(parse_error)
        return result
    if not records or not any(cell.strip() for cell in records[0]):
        result.errors.append(RowError(1, "the file has no header row (column names)."))
        return result

    # 1. Header: not too wide, unique names, and a column for every required placeholder.
    if len(records[0]) > MAX_CSV_COLUMNS:
        result.errors.append(
            RowError(
                1,
                f"the file has {len(records[0]):,} columns; a batch can have at most "
                f"{MAX_CSV_COLUMNS:,}. Remove the columns you do not need.",
            )
        )
        return result
    header = [cell.strip() for cell in records[0]]
    result.header = header
    duplicates = sorted(c for c, n in Counter(header).items() if c and n > 1)
    if duplicates:
        result.errors.append(
            RowError(1, f"the column names {', '.join(duplicates)} appear more than once.")
        )
    result.mapping = default_mapping(fields, header)
    result.mapping.update({k: v for k, v in (mapping or {}).items() if v})
    for name, column in result.mapping.items():
        if column not in header:
            result.errors.append(RowError(1, f"there is no column {column!r} for {{{name}}}."))
    for f in fields:
        if f["required"] and f["name"] not in result.mapping:
            result.errors.append(
                RowError(1, f"no column for {{{f['name']}}}; add a column named {f['name']}.")
            )
    if result.errors:
        return result

    # 2. Rows: numbered from 2; blank lines are skipped but still counted.
    data_rows = [
        (number, cells)
        for number, cells in enumerate(records[1:], start=2)
        if any(c.strip() for c in cells)
    ]
    if not data_rows:
        result.errors.append(RowError(2, "the file has a header but no rows."))
    for count, (number, cells) in enumerate(data_rows, start=1):
        if count > max_rows:
            result.errors.append(
                RowError(
                    number,
                    f"the file has {len(data_rows)} rows; a batch in this workspace can have "
                    f"at most {max_rows}. Split it into smaller files.",
                )
            )
            break
        errors = _check_row(number, cells, header, fields, result.mapping)
        result.errors.extend(errors)
        if not errors:
            by_column = dict(zip(header, cells, strict=True))
            values = {name: by_column[column].strip() for name, column in result.mapping.items()}
            for f in fields:
                values.setdefault(f["name"], "")
            result.rows.append((number, values, by_column))
    if parse_error is not None:
        result.errors.append(parse_error)
    return result


def _read(text: str) -> tuple[list[list[str]], RowError | None]:
    """The file's records, up to the first one the CSV reader refuses, and that refusal.

    The reader stops at a value longer than its field limit (often a quote that is never
    closed, which swallows the rest of the file); the rows before it are still checked.
    The header is read first so that a header of a million columns is refused before any
    row is read.
    """
    reader = csv.reader(io.StringIO(text))
    records: list[list[str]] = []
    try:
        for cells in reader:
            records.append(cells)
            if len(records) == 1 and len(cells) > MAX_CSV_COLUMNS:
                break
    except csv.Error as exc:
        limit = csv.field_size_limit()
        message = (
            f'a value is longer than {limit:,} characters. Check for a quote mark (") '
            "that is opened and never closed."
            if "field limit" in str(exc)
            else f"the line cannot be read as CSV ({exc})."
        )
        return records, RowError(len(records) + 1, message)
    return records, None


def _check_row(
    number: int,
    cells: list[str],
    header: list[str],
    fields: list[dict[str, Any]],
    mapping: Mapping[str, str],
) -> list[RowError]:
    if len(cells) != len(header):
        return [
            RowError(
                number,
                f"it has {len(cells)} value{'s' if len(cells) != 1 else ''}; the header has "
                f"{len(header)} columns. Check for a missing value or an unquoted comma.",
            )
        ]
    by_column = dict(zip(header, cells, strict=True))
    errors: list[RowError] = []
    for f in fields:
        column = mapping.get(f["name"])
        value = by_column[column].strip() if column else ""
        if f["required"] and not value:
            errors.append(RowError(number, f"{column} is empty; {{{f['name']}}} needs a value."))
        elif len(value) > f["max_length"]:
            errors.append(
                RowError(
                    number,
                    f"{column} is {len(value)} characters long; the limit for "
                    f"{{{f['name']}}} is {f['max_length']}.",
                )
            )
    return errors


def neutralise(value: object) -> str:
    """A cell value that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(rows: list[list[object]]) -> str:
    """CSV text with every cell neutralised."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return buffer.getvalue()


def safe_filename(value: str, *, fallback: str) -> str:
    """A file name from a cell's value: letters, digits, dot, dash and underscore only, so
    it cannot climb out of the ZIP's folder or trip a file system."""
    name = re.sub(r"[^\w.-]+", "-", value.strip()).strip(".-_")[:80]
    return name or fallback
