"""Batch CSVs: every kind of bad row is found before anything runs, and named by its row."""

from __future__ import annotations

import pytest

from generation import limits
from studio import batches

FIELDS = [
    {
        "name": "first_name",
        "label": "First name",
        "type": "text",
        "required": True,
        "max_length": 10,
    },
    {"name": "company", "label": "Company", "type": "text", "required": True, "max_length": 30},
    {"name": "cta", "label": "CTA", "type": "text", "required": False, "max_length": 30},
]


def _parse(text: str, max_rows: int = 100, **kwargs: object) -> batches.ParsedCsv:
    return batches.parse(text, fields=FIELDS, max_rows=max_rows, **kwargs)  # type: ignore[arg-type]


def _messages(parsed: batches.ParsedCsv) -> list[str]:
    return [str(e) for e in parsed.errors]


def test_it_maps_columns_to_placeholders_by_name():
    """Columns named like the fields fill them, whatever their case and spacing."""
    parsed = _parse("First Name,COMPANY,cta,email\nAna,Acme,Book now,a@x\n")
    assert parsed.ok
    assert parsed.mapping == {"first_name": "First Name", "company": "COMPANY", "cta": "cta"}
    assert parsed.rows == [
        (
            2,
            {"first_name": "Ana", "company": "Acme", "cta": "Book now"},
            {"First Name": "Ana", "COMPANY": "Acme", "cta": "Book now", "email": "a@x"},
        )
    ]


def test_the_mapping_can_be_adjusted():
    """A column of another name can be chosen for a placeholder."""
    parsed = _parse("name,org\nAna,Acme\n", mapping={"first_name": "name", "company": "org"})
    assert parsed.ok and parsed.rows[0][1]["company"] == "Acme"


def test_a_missing_required_value_names_its_row():
    """The first data row is row 2; an empty required cell is reported on its row."""
    parsed = _parse("first_name,company\nAna,Acme\n,Beta\n")
    assert _messages(parsed) == ["Row 3: first_name is empty; {first_name} needs a value."]


def test_a_value_over_the_limit_names_its_row():
    """A cell longer than its field's limit is reported with both lengths."""
    parsed = _parse("first_name,company\nBartholomew,Acme\n")
    assert _messages(parsed) == [
        "Row 2: first_name is 11 characters long; the limit for {first_name} is 10."
    ]


def test_a_row_with_the_wrong_number_of_columns_is_named():
    """Too many or too few values (an unquoted comma) is an error on that row."""
    parsed = _parse("first_name,company\nAna,Acme\nBo,Beta,Inc\nCy\n")
    messages = _messages(parsed)
    assert messages[0].startswith("Row 3: it has 3 values; the header has 2 columns.")
    assert messages[1].startswith("Row 4: it has 1 value; the header has 2 columns.")


def test_bad_encoding_names_the_line():
    """Bytes that are not UTF-8 are reported on the line that holds them."""
    data = b"first_name,company\nAna,Acme\n" + "José,Café\n".encode("latin-1")
    text, error = batches.decode(data)
    assert text is None and error is not None
    assert str(error).startswith("Row 3: this line is not UTF-8 text.")


def test_a_byte_order_mark_is_not_part_of_the_first_column():
    """Spreadsheets often save UTF-8 with a BOM; it is dropped."""
    text, error = batches.decode("\ufefffirst_name,company\nAna,Acme\n".encode())
    assert error is None and _parse(text or "").ok


def test_more_rows_than_the_workspace_limit_is_refused():
    """The first row past the limit is named, with the limit."""
    parsed = _parse("first_name,company\n" + "Ana,Acme\n" * 4, max_rows=3)
    assert _messages(parsed) == [
        "Row 5: the file has 4 rows; a batch in this workspace can have at most 3. "
        "Split it into smaller files."
    ]


def test_a_missing_column_is_reported_on_the_header():
    """A required placeholder with no column is an error on row 1."""
    parsed = _parse("first_name,email\nAna,a@x\n")
    assert _messages(parsed) == ["Row 1: no column for {company}; add a column named company."]


def test_every_bad_row_is_reported_at_once():
    """All rows are checked; the user fixes everything in one go."""
    parsed = _parse("first_name,company\n,Acme\nAna,\nBo,Beta\n")
    assert [e.row for e in parsed.errors] == [2, 3]
    assert [r[0] for r in parsed.rows] == [4]
    assert not parsed.ok


def test_blank_lines_are_skipped_but_counted():
    """An empty line still counts as a row, so later row numbers match the file."""
    parsed = _parse("first_name,company\n\nAna,\n")
    assert _messages(parsed)[0].startswith("Row 3:")


def test_an_empty_file_or_header_only_is_an_error():
    """A file needs a header and at least one row."""
    assert _messages(_parse("")) == ["Row 1: the file has no header row (column names)."]
    assert _messages(_parse("first_name,company\n")) == [
        "Row 2: the file has a header but no rows."
    ]


@pytest.mark.parametrize("value", ["=1+1", "+33 1 23", "-5", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_are_neutralised(value):
    """A value a spreadsheet would run as a formula is written as text."""
    assert batches.neutralise(value) == "'" + value
    assert batches.write_csv([[value]]).splitlines()[0].strip('"').startswith("'")


def test_ordinary_values_are_written_as_they_are():
    """Only formula starts are changed."""
    assert batches.neutralise("Ana") == "Ana" and batches.neutralise(3) == "3"


def test_file_names_cannot_leave_the_folder():
    """Slashes and dots are replaced; an empty name falls back."""
    assert batches.safe_filename("../../etc/passwd", fallback="x") == "etc-passwd"
    assert batches.safe_filename("José García", fallback="x") == "José-García"
    assert batches.safe_filename("///", fallback="row-2") == "row-2"


def test_a_header_of_many_columns_is_refused_quickly():
    """A header past the column limit is one error on row 1, found without comparing every
    column with every other (400,000 columns once took minutes)."""
    columns = 400_000
    header = ",".join(f"c{i}" for i in range(columns))
    parsed = _parse(header + "\n" + "x," * (columns - 1) + "x\n")
    assert _messages(parsed) == [
        f"Row 1: the file has {columns:,} columns; a batch can have at most "
        f"{limits.MAX_CSV_COLUMNS:,}. Remove the columns you do not need."
    ]


def test_duplicate_column_names_are_found_in_a_long_header():
    """Duplicates are counted once each, in a header at the column limit."""
    names = [f"c{i}" for i in range(limits.MAX_CSV_COLUMNS - 2)] + ["c1", "c2"]
    parsed = _parse(",".join(names) + "\n" + ",".join("x" * len(names)) + "\n")
    assert _messages(parsed)[0] == "Row 1: the column names c1, c2 appear more than once."


def test_a_value_longer_than_the_reader_allows_is_a_row_error():
    """A cell past the CSV reader's field limit is named by its row, not a server error."""
    parsed = _parse("first_name,company\nAna,Acme\nBo," + "x" * 200_000 + "\n")
    assert [e.row for e in parsed.errors] == [3]
    assert "longer than" in _messages(parsed)[0]
