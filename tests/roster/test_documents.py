"""ID numbers as lists deliver them: the fast path agrees with identity, repairs, Excel, legacy 15 digits."""

from __future__ import annotations

from datetime import date

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from gridscreen.people.identity import InvalidDocument, make_resident_id, validate_resident_id
from gridscreen.roster.documents import (
    DocumentStatus,
    excel_prefix,
    inspect_document,
    inspect_documents,
    suggest_repairs,
    valid_resident_ids,
)

TODAY = date(2022, 4, 1)
GOOD = make_resident_id("310101", date(1990, 3, 7), 123)
regions = st.sampled_from(["110101", "310101", "310115", "340104", "440104", "650102", "810000"])
valid_ids = st.builds(make_resident_id, regions, st.dates(date(1900, 1, 1), TODAY), st.integers(0, 999))


def _accepts(number: str) -> bool:
    try:
        return validate_resident_id(number, today=TODAY).number == number
    except InvalidDocument:
        return False


@given(st.one_of(valid_ids, st.text("0123456789X", min_size=18, max_size=18), st.text(max_size=20)))
def test_the_fast_path_accepts_exactly_what_identity_accepts(number):
    assert valid_resident_ids([number], today=TODAY)[0] == _accepts(number)


@given(valid_ids, st.integers(0, 17), st.integers(1, 9))
def test_one_wrong_digit_gets_the_right_repair_suggested(number, position, shift):
    if number[position] == "X":
        return
    wrong = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    if _accepts(wrong):
        return
    born = validate_resident_id(number).birth_date
    assert number in suggest_repairs(wrong, today=TODAY)
    assert number in suggest_repairs(wrong, birth_date=born, sex=validate_resident_id(number).sex, today=TODAY)


def test_two_neighbours_swapped_are_repaired():
    wrong = GOOD[:14] + GOOD[15] + GOOD[14] + GOOD[16:]
    assert wrong != GOOD and GOOD in suggest_repairs(wrong, today=TODAY)


def test_knowing_the_birth_date_and_sex_narrows_the_repairs():
    wrong = GOOD[:3] + str((int(GOOD[3]) + 1) % 10) + GOOD[4:]
    loose = suggest_repairs(wrong, today=TODAY)
    tight = suggest_repairs(wrong, birth_date=date(1990, 3, 7), sex="M", today=TODAY)
    assert GOOD in tight and set(tight) < set(loose)
    assert all(r[6:14] == "19900307" and int(r[16]) % 2 == 1 for r in tight)


def test_known_region_codes_narrow_a_wrong_region_digit():
    wrong = GOOD[:4] + str((int(GOOD[4]) + 3) % 10) + GOOD[5:]
    repairs = suggest_repairs(wrong, birth_date=date(1990, 3, 7), regions={"310101", "310115"}, today=TODAY)
    assert repairs == [GOOD]


def test_a_valid_id_needs_no_repair():
    assert suggest_repairs(GOOD, today=TODAY) == []


def test_excel_mangled_ids_are_detected_with_their_surviving_digits():
    mangled = GOOD[:15] + "000"
    check = inspect_document("resident_id", mangled, today=TODAY)
    assert check.status is DocumentStatus.excel_mangled
    assert check.prefix == GOOD[:15] and check.birth_date == date(1990, 3, 7)
    assert excel_prefix(f"{GOOD[0]}.{GOOD[1:15]}E+17") == GOOD[:15]
    assert excel_prefix(GOOD) is None


def test_a_valid_id_ending_in_000_is_suspected_not_trusted():
    # Excel's zeros pass the check character 1 time in 11: such a number is compared, never an anchor.
    for sequence in range(0, 1000, 2):
        number = make_resident_id("310101", date(1980, 1, 1), sequence)
        if number.endswith("000"):
            break
    else:
        raise AssertionError("no valid number ends in 000 on that day")
    check = inspect_document("resident_id", number, today=TODAY)
    assert check.status is DocumentStatus.suspect and check.prefix == number[:15]


def test_a_legacy_15_digit_id_is_upgraded():
    check = inspect_document("resident_id", GOOD[:6] + GOOD[8:17], today=TODAY)
    assert check.status is DocumentStatus.upgraded and check.canonical == GOOD


def test_an_invalid_id_gives_its_repairs_but_no_birth_date():
    # nearly half of all typos fall in the date part: a birth date read from a wrong ID is often wrong
    wrong = GOOD[:16] + str((int(GOOD[16]) + 2) % 10) + GOOD[17]
    check = inspect_document("resident_id", wrong, birth_date=date(1990, 3, 7), today=TODAY)
    assert check.status is DocumentStatus.invalid and check.canonical is None
    assert check.birth_date is None and check.sex == "M" and GOOD in check.repairs
    assert "check character" in check.reason


def test_other_documents_use_identity_rules_or_a_plain_clean_up():
    assert inspect_document("passport", " e1234567 ").canonical == "E1234567"
    assert inspect_document("de_personalausweis", "l01x-00t47").canonical == "L01X00T47"
    assert inspect_document("passport", None).status is DocumentStatus.missing
    custom = inspect_document("any", "abc", validate=lambda kind, number: number.upper() + "!")
    assert custom.canonical == "ABC!"


def test_bulk_inspection_leaves_plain_valid_ids_to_the_caller():
    numbers = [GOOD, GOOD[:15] + "000", None, "E1234567"]
    checks = inspect_documents(["resident_id", "resident_id", "resident_id", "passport"], numbers, today=TODAY)
    assert checks[0] is None
    statuses = [c.status for c in checks[1:]]
    assert statuses == [DocumentStatus.excel_mangled, DocumentStatus.missing, DocumentStatus.valid]


def test_the_fast_path_handles_many_numbers_at_once():
    numbers = [make_resident_id("310115", date(1950 + i % 60, 1 + i % 12, 1 + i % 28), i % 1000) for i in range(5000)]
    assert valid_resident_ids(numbers, today=TODAY).all()
    broken = [n[:5] + str((int(n[5]) + 1) % 10) + n[6:] for n in numbers]
    assert not np.any(valid_resident_ids(broken, today=TODAY))
