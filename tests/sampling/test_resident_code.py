import base64
import hashlib
import hmac

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from gridscreen.errors import Invalid
from gridscreen.sampling.resident_code import InvalidResidentCode, read_resident_code, sign_resident_code

SECRET = b"test secret, not for production"
person_ids = st.integers(1, 10**19 - 1)
secrets = st.binary(min_size=1, max_size=64)
CODE_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_."


def refused(code: str, secret: bytes = SECRET) -> InvalidResidentCode:
    with pytest.raises(InvalidResidentCode) as excinfo:
        read_resident_code(code, secret=secret)
    return excinfo.value


def test_code_layout():
    code = sign_resident_code(12345, secret=SECRET)
    digest = hmac.new(SECRET, b"GS1.12345", hashlib.sha256).digest()
    assert code == "GS1.12345." + base64.urlsafe_b64encode(digest).decode()[:16]


@given(person_ids, secrets)
def test_round_trip(person_id, secret):
    code = sign_resident_code(person_id, secret=secret)
    assert read_resident_code(code, secret=secret) == person_id
    assert read_resident_code(f"  {code}\n", secret=secret) == person_id


@given(person_ids, person_ids)
def test_a_signature_does_not_fit_another_person(person_id, other_id):
    assume(person_id != other_id)
    signature = sign_resident_code(person_id, secret=SECRET).rsplit(".", 1)[1]
    refused(f"GS1.{other_id}.{signature}")


@given(person_ids, st.text(alphabet=CODE_CHARS[:-1], min_size=16, max_size=16))
def test_a_changed_signature_is_refused(person_id, signature):
    code = sign_resident_code(person_id, secret=SECRET)
    assume(code.rsplit(".", 1)[1] != signature)
    refused(f"GS1.{person_id}.{signature}")


@given(person_ids, secrets, secrets)
def test_a_code_made_with_another_secret_is_refused(person_id, secret, other):
    assume(secret != other)
    refused(sign_resident_code(person_id, secret=secret), secret=other)


@given(person_ids, st.data())
def test_any_single_character_change_is_refused(person_id, data):
    code = sign_resident_code(person_id, secret=SECRET)
    position = data.draw(st.integers(0, len(code) - 1))
    replacement = data.draw(st.sampled_from(CODE_CHARS).filter(lambda c: c != code[position]))
    refused(code[:position] + replacement + code[position + 1 :])


@pytest.mark.parametrize(
    "code",
    ["", "GS1", "GS1..", "GS1.0.AAAAAAAAAAAAAAAA", "GS1.012.AAAAAAAAAAAAAAAA", "GS2.1.AAAAAAAAAAAAAAAA", "gs1.1.x"],
)
def test_malformed_codes_are_refused(code):
    refused(code)


def test_a_truncated_or_extended_code_is_refused():
    code = sign_resident_code(7, secret=SECRET)
    refused(code[:-1])
    refused(code + "A")
    refused(code + ".x")


def test_refusal_is_a_422_without_personal_data():
    error = refused(sign_resident_code(310101, secret=b"other"))
    assert isinstance(error, Invalid)
    assert error.status == 422
    assert error.params == {}
    assert "310101" not in str(error)


@pytest.mark.parametrize("person_id", [0, -1, 10**19])
def test_signing_refuses_impossible_ids(person_id):
    with pytest.raises(ValueError):
        sign_resident_code(person_id, secret=SECRET)


def test_an_empty_secret_is_a_configuration_error():
    with pytest.raises(ValueError, match="secret"):
        sign_resident_code(1, secret=b"")
    with pytest.raises(ValueError, match="secret"):
        read_resident_code("anything", secret=b"")
