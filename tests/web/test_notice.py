"""Resident codes on the household page and the printable notice."""

from gridscreen.config import get_settings
from gridscreen.sampling.resident_code import sign_resident_code
from gridscreen.web.pages import qr_svg
from tests.auth.factories import bearer
from tests.sampling.factories import open_round, site_in


def _qr(person) -> str:
    return str(qr_svg(sign_resident_code(person.id, secret=get_settings().resident_code_key)))


def test_a_resident_sees_a_code_for_each_member_of_their_household(client, tiny, tokens):
    household = tiny.a.households[0]
    page = client.get(f"/households/{household.id}", headers=bearer(tokens["resident_a"]))
    assert page.status_code == 200
    members = [p for p in tiny.a.persons if p.household_id == household.id]
    assert members and all(_qr(p) in page.text for p in members)
    others = [p for p in tiny.a.persons if p.household_id != household.id]
    assert not any(_qr(p) in page.text for p in others)


def test_the_command_centre_sees_the_household_without_codes(client, tiny, tokens):
    page = client.get(f"/households/{tiny.a.households[0].id}", headers=bearer(tokens["command"]))
    assert page.status_code == 200 and 'data-testid="resident-codes"' not in page.text
    notice = client.get(f"/households/{tiny.a.households[0].id}/notice", headers=bearer(tokens["command"]))
    assert notice.status_code == 403


def test_the_grid_prints_a_notice_with_the_round_its_day_and_the_site(client, db, tiny, tokens):
    round_ = open_round(db, tiny)
    site_in(db, round_, tiny.a)
    household = tiny.a.households[0]
    notice = client.get(f"/households/{household.id}/notice", headers=bearer(tokens["grid_a"]))
    assert notice.status_code == 200
    assert round_.code in notice.text and "2022-04-04" in notice.text and "核酸点" in notice.text
    members = [p for p in tiny.a.persons if p.household_id == household.id]
    assert all(_qr(p) in notice.text for p in members)
    elsewhere = client.get(f"/households/{tiny.b.households[0].id}/notice", headers=bearer(tokens["grid_a"]))
    assert elsewhere.status_code == 404
