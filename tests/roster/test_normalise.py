"""Names, phones, birth dates and addresses in comparable form; the DuckDB path agrees with the Python one."""

from __future__ import annotations

from datetime import date

import duckdb
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridscreen.roster.normalise import (
    CANONICAL_MOBILE,
    AddressParts,
    address_part_sql,
    address_sql,
    birth_date_sql,
    birth_parts_sql,
    name_keys,
    normalise_name,
    parse_address,
    parse_birth_date,
    phone_key,
    pinyin,
)


def test_traditional_characters_fold_to_their_simplified_twin():
    assert normalise_name("張偉") == normalise_name("张伟") == "张伟"
    assert name_keys("單雲龍").key == name_keys("单云龙").key


def test_spaces_and_full_width_forms_do_not_change_a_name():
    assert normalise_name("张 伟") == normalise_name(" 张伟 ") == "张伟"
    assert normalise_name("Ｊｏｈｎ　Ｓｍｉｔｈ") == "JOHN SMITH"


@pytest.mark.parametrize(
    ("name", "family"),
    [("单雄信", "shan"), ("曾国藩", "zeng"), ("仇英", "qiu"), ("解缙", "xie"), ("区永", "ou"), ("朴智", "piao")],
)
def test_surnames_take_their_reading_as_a_surname(name, family):
    assert name_keys(name).family == family


def test_compound_surnames_stay_whole():
    keys = name_keys("欧阳娜娜")
    assert (keys.family, keys.given) == ("ou yang", "na na")


def test_homophone_characters_share_a_key():
    assert name_keys("王伟").key == name_keys("王玮").key == "wang wei"
    assert name_keys("王伟").text != name_keys("王玮").text


def test_latin_names_compare_as_words_in_any_order_and_without_accents():
    assert name_keys("Smith, John").key == name_keys("JOHN SMITH").key
    assert name_keys("Jürgen Müller").key == name_keys("MULLER JURGEN").key


def test_a_separate_family_name_field_is_used_as_the_surname():
    keys = name_keys("雄信", family="单")
    assert (keys.text, keys.family, keys.given) == ("单雄信", "shan", "xiong xin")


def test_other_scripts_are_case_folded_not_lost():
    assert name_keys("Иван Петров").key == name_keys("ПЕТРОВ ИВАН").key == "иван петров"


def test_pinyin_of_non_han_text_keeps_it():
    assert pinyin("李A") == "li A"


@pytest.mark.parametrize(
    ("raw", "key"),
    [("+86 138-1234-5678", "13812345678"), ("138 1234 5678", "13812345678"), ("+49 30 1234567", "49301234567"),
     ("12", None), (None, None)],
)  # fmt: skip
def test_phones_normalise_to_their_digits(raw, key):
    assert phone_key(raw) == key


@given(st.from_regex(CANONICAL_MOBILE, fullmatch=True))
def test_a_canonical_mobile_is_left_as_it_is(number):
    # The bulk path keeps these without asking phone_key; that is only right if phone_key would agree.
    assert phone_key(number) == number


ADDRESSES = [
    ("上海市浦东新区华康小区3号楼2单元1201室", AddressParts("华康", "3", "2", "1201")),
    ("华康 3栋 2-1201", AddressParts("华康", "3", "2", "1201")),
    ("华康小区３号楼１２０１室", AddressParts("华康", "3", None, "1201")),
    ("闵行区华康新村5号楼1单元0201室", AddressParts("华康", "5", "1", "201")),
    ("上海市浦东新区", AddressParts(None, None, None, None)),
    ("某某村12号", AddressParts("某某村", "12", None, None)),
    ("", AddressParts(None, None, None, None)),
]


@pytest.mark.parametrize(("text", "parts"), ADDRESSES)
def test_addresses_parse_into_compound_building_unit_and_room(text, parts):
    assert parse_address(text) == parts


def test_duckdb_parses_addresses_exactly_as_python_does():
    con = duckdb.connect()
    con.execute("CREATE TABLE a (t VARCHAR)")
    con.executemany("INSERT INTO a VALUES (?)", [[t] for t, _ in ADDRESSES] + [[None]])
    parts = ", ".join(address_part_sql("p", g) for g in ("compound", "building", "unit", "room"))
    rows = con.execute(f"SELECT t, {parts} FROM (SELECT t, {address_sql('t')} AS p FROM a)").fetchall()
    for text, *sql_parts in rows:
        assert AddressParts(*sql_parts) == parse_address(text)


BIRTHS = ["1990-03-07", "1990/3/7", "19900307", "1990年3月7日", "１９９０－０３－０７", "1990-02-30", "soon", None]


def test_birth_dates_parse_in_the_formats_lists_use():
    assert {parse_birth_date(b) for b in BIRTHS[:5]} == {date(1990, 3, 7)}
    assert parse_birth_date("1990-02-30") is None


def test_duckdb_parses_birth_dates_exactly_as_python_does():
    con = duckdb.connect()
    con.execute("CREATE TABLE b (t VARCHAR)")
    con.executemany("INSERT INTO b VALUES (?)", [[t] for t in BIRTHS])
    rows = con.execute(f"SELECT t, {birth_date_sql('p')} FROM (SELECT t, {birth_parts_sql('t')} AS p FROM b)")
    for text, parsed in rows.fetchall():
        assert parsed == parse_birth_date(text)
