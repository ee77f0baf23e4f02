"""Reading a source list (CSV, Excel .xlsx or JSON) into the records the linkage takes.

A mapping says which column holds which field ("name=姓名,document_number=身份证号码"). Every row is
checked; a row that cannot be used is reported with its file, row and reason, and a file with such rows
gives nothing unless the user asks to skip them, in which case the skipped rows are listed. Rows that can
be used but deserve a look are kept and reported too: ID numbers Excel turned into 15 digits and zeros,
and numbers with a wrong check character (with the repairs that agree with the birth date)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from gridscreen.errors import Invalid
from gridscreen.roster.documents import DocumentStatus, inspect_document, inspect_documents
from gridscreen.roster.normalise import parse_birth_date

FIELDS = ("name", "family_name", "document_type", "document_number", "phone", "birth_date", "sex", "address",
          "compound", "building", "unit", "room")  # fmt: skip
SOURCE_KINDS = ("registry", "rental", "telecom", "sweep")
_TO_CHECK = (DocumentStatus.excel_mangled, DocumentStatus.suspect, DocumentStatus.invalid)
SEXES = {"m": "M", "male": "M", "男": "M", "1": "M", "f": "F", "female": "F", "女": "F", "2": "F", "0": "F"}


class MappingInvalid(Invalid):
    def __init__(self, problem: str):
        super().__init__("the column mapping is not valid: {problem}", problem=problem)


class SourceUnreadable(Invalid):
    def __init__(self, file: str, problem: str):
        super().__init__("{file} cannot be read: {problem}", file=file, problem=problem)


class SourceRefused(Invalid):
    def __init__(self, file: str, count: int, first: RowProblem):
        super().__init__(
            "{file}: {count} rows cannot be used, so nothing was read (first: row {row}: {reason}); fix them, "
            "or skip the bad rows", file=file, count=count, row=first.row, reason=first.reason,
        )  # fmt: skip
        self.count = count


@dataclass(frozen=True, slots=True)
class RowProblem:
    file: str
    row: int  # as the user sees it: the header is row 1 in CSV and Excel, records count from 1 in JSON
    reason: str


@dataclass
class SourceFile:
    source_kind: str
    records: list[dict] = field(default_factory=list)
    skipped: list[RowProblem] = field(default_factory=list)
    flagged: list[RowProblem] = field(default_factory=list)  # kept, but a clerk should look


def parse_mapping(text: str | None) -> dict[str, str]:
    """ "field=column,..." -> {field: column}; fields not named are read from a column of their own name."""
    mapping = {f: f for f in FIELDS}
    for part in filter(None, (p.strip() for p in (text or "").split(","))):
        name, sep, column = part.partition("=")
        if not sep or not column.strip():
            raise MappingInvalid(f"{part!r} is not field=column")
        if name.strip() not in FIELDS:
            raise MappingInvalid(f"{name.strip()!r} is not one of {', '.join(FIELDS)}")
        mapping[name.strip()] = column.strip()
    return mapping


def read_source(path: Path, *, source_kind: str, mapping: dict[str, str], skip_bad_rows: bool = False,
                today: date | None = None) -> SourceFile:  # fmt: skip
    if source_kind not in SOURCE_KINDS:
        raise MappingInvalid(f"source kind {source_kind!r} is not one of {', '.join(SOURCE_KINDS)}")
    result = SourceFile(source_kind)
    problems: list[RowProblem] = []
    for row, values in _rows(path):
        record = {f: _text(values.get(column)) for f, column in mapping.items()}
        reason = _row_problem(record, today)
        if reason:
            problems.append(RowProblem(path.name, row, reason))
            continue
        record["sex"] = SEXES.get((record["sex"] or "").lower()) if record["sex"] else None
        result.records.append(record | {"source_kind": source_kind, "source_file": path.name, "source_row": row})
    if problems and not skip_bad_rows:
        raise SourceRefused(path.name, len(problems), problems[0])
    result.skipped = problems
    # All numbers at once (a list is nearly all valid IDs); only the few that are not get a reason one by one.
    records = result.records
    checks = inspect_documents([r["document_type"] or "resident_id" for r in records],
                               [r["document_number"] for r in records], today=today)  # fmt: skip
    for record, check in zip(records, checks, strict=True):
        to_check = record["document_number"] and check is not None and check.status in _TO_CHECK
        if to_check and (note := _document_note(record)):
            result.flagged.append(RowProblem(path.name, record["source_row"], note))
    return result


def _row_problem(record: dict, today: date | None) -> str | None:
    if not record["name"] and not record["family_name"]:
        return "no name"
    if record["birth_date"]:
        born = parse_birth_date(record["birth_date"])
        if born is None:
            return f"birth date {record['birth_date']!r} is not a date"
        if born > (today or date.today()):
            return f"birth date {born.isoformat()} is in the future"
    if record["sex"] and record["sex"].lower() not in SEXES:
        return f"sex {record['sex']!r} is neither male nor female"
    for name in FIELDS:
        if record[name] and len(record[name]) > 200:
            return f"{name} is longer than 200 characters"
    return None


def _document_note(record: dict) -> str | None:
    if not record["document_number"]:
        return None
    check = inspect_document(record["document_type"] or "resident_id", record["document_number"],
                             birth_date=parse_birth_date(record["birth_date"]), sex=record["sex"])  # fmt: skip
    if check.status == DocumentStatus.excel_mangled:
        return f"ID number {record['document_number']} was turned into a number by Excel; only {check.prefix} survives"
    if check.status == DocumentStatus.suspect:
        return f"ID number {record['document_number']} ends in 000 as Excel leaves them; check it on the card"
    if check.status == DocumentStatus.invalid:
        hint = f"; perhaps {', '.join(check.repairs[:3])}" if check.repairs else ""
        return f"ID number {record['document_number']} is not valid ({check.reason}){hint}"
    return None


def _text(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e15:
        # A long number Excel kept to 15 significant digits: write those digits back, then zeros.
        mantissa, _, exponent = f"{abs(value):.14e}".partition("e")
        return mantissa.replace(".", "").ljust(int(exponent) + 1, "0")
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    text = str(value).strip()
    return text or None


def _rows(path: Path) -> Iterator[tuple[int, dict]]:
    suffix = path.suffix.lower()
    try:
        if suffix == ".csv":
            yield from _csv_rows(path)
        elif suffix == ".xlsx":
            yield from _xlsx_rows(path)
        elif suffix == ".json":
            yield from _json_rows(path)
        else:
            raise SourceUnreadable(path.name, "give a .csv, .xlsx or .json file")
    except (OSError, UnicodeError, ValueError, KeyError) as exc:
        raise SourceUnreadable(path.name, str(exc)) from exc


def _csv_rows(path: Path) -> Iterator[tuple[int, dict]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):  # lists come from Excel on Chinese Windows as often as not
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise SourceUnreadable(path.name, "not UTF-8 or GB18030 text")
    yield from enumerate(csv.DictReader(text.splitlines()), start=2)


def _xlsx_rows(path: Path) -> Iterator[tuple[int, dict]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    try:
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [_text(h) or "" for h in next(rows, ())]
        for row, values in enumerate(rows, start=2):
            if any(v is not None for v in values):
                yield row, dict(zip(header, values, strict=False))
    finally:
        book.close()


def _json_rows(path: Path) -> Iterator[tuple[int, dict]]:
    data = json.loads(path.read_text(encoding="utf-8-sig"))
    items = data.get("records") if isinstance(data, dict) else data
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise SourceUnreadable(path.name, 'expected a list of objects, or {"records": [...]}')
    yield from enumerate(items, start=1)
