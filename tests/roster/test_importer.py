"""Reading grid workers' lists: every bad row named with its file, row and reason, nothing half-read, and
Excel's damage to ID numbers reported."""

import json
from datetime import date

import pytest
from openpyxl import Workbook

from gridscreen.people.identity import make_resident_id
from gridscreen.roster.importer import MappingInvalid, SourceRefused, parse_mapping, read_source

GOOD_ID = make_resident_id("310101", date(1990, 3, 7), 12)
MAPPING = parse_mapping("name=姓名,document_number=身份证号码,birth_date=出生日期,phone=电话")


def _csv(tmp_path, rows, name="sweep.csv"):
    path = tmp_path / name
    path.write_text("姓名,身份证号码,出生日期,电话\n" + "\n".join(",".join(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_a_list_with_a_bad_row_is_refused_whole_with_the_row_and_the_reason(tmp_path):
    path = _csv(tmp_path, [["张伟", GOOD_ID, "1990-03-07", "13912345678"], ["", "", "1990-01-01", ""],
                           ["李娜", "", "1990-02-30", ""]])  # fmt: skip
    with pytest.raises(SourceRefused) as refused:
        read_source(path, source_kind="sweep", mapping=MAPPING)
    assert refused.value.count == 2 and "row 3: no name" in refused.value.message()


def test_skipping_bad_rows_keeps_the_good_ones_and_lists_the_rest(tmp_path):
    path = _csv(tmp_path, [["张伟", GOOD_ID, "1990-03-07", "13912345678"], ["李娜", "", "1990-02-30", ""]])
    read = read_source(path, source_kind="sweep", mapping=MAPPING, skip_bad_rows=True)
    assert [r["name"] for r in read.records] == ["张伟"] and read.records[0]["source_row"] == 2
    assert [(p.row, p.reason) for p in read.skipped] == [(3, "birth date '1990-02-30' is not a date")]


def test_excel_numbers_for_id_numbers_are_reported_and_the_row_kept(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "身份证号码", "出生日期"])
    sheet.append(["王芳", float(GOOD_ID[:15] + "000"), date(1990, 3, 7)])  # what Excel keeps of a typed ID
    sheet.append(["赵强", GOOD_ID[:-1] + ("0" if GOOD_ID[-1] != "0" else "1"), "1990-03-07"])
    path = tmp_path / "registry.xlsx"
    book.save(path)
    read = read_source(path, source_kind="registry", mapping=MAPPING)
    assert len(read.records) == 2 and read.records[0]["birth_date"] == "1990-03-07"
    notes = {p.row: p.reason for p in read.flagged}
    assert "Excel" in notes[2] and GOOD_ID[:15] in notes[2]
    assert "not valid" in notes[3] and GOOD_ID in notes[3]  # the one repair that agrees with the birth date


def test_json_lists_and_mapping_mistakes(tmp_path):
    path = tmp_path / "telecom.json"
    path.write_text(json.dumps({"records": [{"姓名": "陈静", "电话": "139 1234 5678"}]}), encoding="utf-8")
    read = read_source(path, source_kind="telecom", mapping=MAPPING)
    assert read.records[0]["phone"] == "139 1234 5678" and read.records[0]["source_row"] == 1
    with pytest.raises(MappingInvalid):
        parse_mapping("nmae=姓名")
    with pytest.raises(MappingInvalid):
        read_source(path, source_kind="gossip", mapping=MAPPING)
