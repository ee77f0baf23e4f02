import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gridscreen.errors import Invalid
from gridscreen.sampling.barcode import (
    MAX_SERIAL,
    InvalidBarcode,
    check_digit,
    make_barcode,
    serial_of,
    validate_barcode,
)

prefixes = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=4)
serials = st.integers(0, MAX_SERIAL)
barcodes = st.builds(make_barcode, prefixes, serials)


def test_damm_reference_value():
    assert check_digit("572") == "4"  # the worked example in Damm's thesis and Wikipedia


def test_barcode_layout():
    code = make_barcode("SH", 1)
    assert code[:12] == "SH0000000001"
    assert len(code) == 13
    assert validate_barcode(code) == code


@given(prefixes, serials)
def test_round_trip(prefix, serial):
    code = make_barcode(prefix, serial)
    assert validate_barcode(code) == code
    assert serial_of(code) == serial


@given(barcodes)
def test_spaces_case_and_full_width_characters_are_canonicalised(code):
    prefix_length = len(code) - 11
    messy = " " + code[:prefix_length].lower() + " " + code[prefix_length:-1] + "\t" + code[-1] + "\n"
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in code)
    assert validate_barcode(messy) == code
    assert validate_barcode(full_width) == code


@given(barcodes, st.data())
def test_every_single_digit_substitution_is_detected(code, data):
    digits_start = len(code) - 11
    position = data.draw(st.integers(digits_start, len(code) - 1))
    replacement = data.draw(st.sampled_from("0123456789").filter(lambda d: d != code[position]))
    wrong = code[:position] + replacement + code[position + 1 :]
    with pytest.raises(InvalidBarcode, match="wrong check digit"):
        validate_barcode(wrong)


@given(barcodes, st.data())
def test_every_adjacent_transposition_of_distinct_digits_is_detected(code, data):
    digits_start = len(code) - 11
    position = data.draw(st.integers(digits_start, len(code) - 2))
    a, b = code[position], code[position + 1]
    assume(a != b)
    wrong = code[:position] + b + a + code[position + 2 :]
    with pytest.raises(InvalidBarcode, match="wrong check digit"):
        validate_barcode(wrong)


def test_all_single_errors_and_transpositions_exhaustively_for_one_barcode():
    code = make_barcode("SH", 1234567890)
    digits = code[2:]
    for i in range(11):
        for d in "0123456789":
            if d != digits[i]:
                with pytest.raises(InvalidBarcode):
                    validate_barcode("SH" + digits[:i] + d + digits[i + 1 :])
    for i in range(10):
        if digits[i] != digits[i + 1]:
            with pytest.raises(InvalidBarcode):
                validate_barcode("SH" + digits[:i] + digits[i + 1] + digits[i] + digits[i + 2 :])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "SH",
        "0000000001",
        "SH000000000",
        "SH000000000011",
        "ABCDE00000000011",
        "S-H00000000011",
        "310101199001011234",
    ],
)
def test_malformed_text_is_refused_without_repeating_it(text):
    with pytest.raises(InvalidBarcode) as excinfo:
        validate_barcode(text)
    assert excinfo.value.template == "tube barcode must be 1 to 4 letters and 11 digits"
    assert excinfo.value.params == {}


def test_wrong_check_digit_names_the_barcode_and_is_a_422():
    code = make_barcode("SH", 1)
    wrong = code[:-1] + str((int(code[-1]) + 1) % 10)
    with pytest.raises(InvalidBarcode) as excinfo:
        validate_barcode(wrong)
    assert isinstance(excinfo.value, Invalid)
    assert excinfo.value.status == 422
    assert excinfo.value.params == {"barcode": wrong}


@pytest.mark.parametrize(("prefix", "serial"), [("", 1), ("ABCDE", 1), ("S1", 1), ("SH", -1), ("SH", MAX_SERIAL + 1)])
def test_make_barcode_refuses_impossible_parts(prefix, serial):
    with pytest.raises(InvalidBarcode):
        make_barcode(prefix, serial)


def test_check_digit_needs_digits():
    with pytest.raises(ValueError):
        check_digit("12a")
    with pytest.raises(ValueError):
        check_digit("١٢")  # Arabic-Indic digits are digits, but not ASCII
