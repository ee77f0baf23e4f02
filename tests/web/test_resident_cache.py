"""The resident page is kept rendered per household for a short while, without ever showing it to someone
who may no longer see it, and without hiding what the household just did."""

import re

from gridscreen.auth.models import AuthToken
from gridscreen.support.models import Announcement
from tests.sampling.factories import NOW


def _me(client, token, **params):
    client.cookies.set("gs_session", token)
    return client.get("/me", params=params)


def _announce(db, tiny, title):
    db.add(Announcement(area_id=tiny.a.committee.id, title=title, body="b", posted_by=1, posted_at=NOW))
    db.flush()


def test_a_second_look_is_answered_from_the_cache_and_revalidates_with_its_etag(client, db, tiny, tokens):
    first = _me(client, tokens["resident_a"])
    assert first.status_code == 200 and first.headers["cache-control"] == "private, no-cache"
    _announce(db, tiny, "团购今晚到")
    again = _me(client, tokens["resident_a"])
    assert again.text == first.text  # kept: the announcement shows once the page is older than its lifetime
    unchanged = client.get("/me", headers={"If-None-Match": first.headers["etag"]})
    assert unchanged.status_code == 304


def test_a_household_sees_its_new_ticket_at_once(client, tokens):
    _me(client, tokens["resident_a"])
    filed = client.post(
        "/me/tickets", data={"category": "garbage", "details": "三袋垃圾在门口"}, follow_redirects=False
    )
    assert filed.status_code == 303 and "/me?after=" in filed.headers["location"]
    assert "三袋垃圾在门口" in client.get(filed.headers["location"]).text


def test_a_logged_out_or_expired_session_is_never_answered_from_the_cache(client, db, tokens):
    token = tokens["resident_a"]
    assert _me(client, token).status_code == 200
    db.query(AuthToken).update({AuthToken.expires_at: NOW})  # the session ran out (or was ended elsewhere)
    db.flush()
    client.app.state.resident_pages.forget(token)  # as logging out in this process does
    assert _me(client, token).status_code == 401


def test_another_households_cookie_gets_its_own_page(client, tiny, tokens):
    mine = _me(client, tokens["resident_a"])
    theirs = _me(client, tokens["resident_b"])
    assert f"/households/{tiny.b.households[0].id}" not in mine.text
    assert _codes(theirs.text) == _codes(_me(client, tokens["resident_b"]).text) != _codes(mine.text)


def _codes(html: str) -> list[str]:
    return re.findall(r'data-testid="resident-code">(.*?)</figure>', html, re.S)


def test_a_page_past_its_lifetime_is_answered_at_once_and_redrawn_behind(client, db, tiny, tokens):
    pages = client.app.state.resident_pages
    now = [1000.0]
    pages.clock = lambda: now[0]
    first = _me(client, tokens["resident_a"])
    _announce(db, tiny, "核酸点改到三号楼")
    now[0] += pages.ttl * 1.01  # the page is past its lifetime, within its grace
    stale = _me(client, tokens["resident_a"])
    assert stale.text == first.text  # nobody waits for the redraw
    client.portal.call(pages.settled)
    assert "核酸点改到三号楼" in _me(client, tokens["resident_a"]).text


def test_a_page_past_its_grace_is_drawn_before_answering(client, db, tiny, tokens):
    pages = client.app.state.resident_pages
    now = [1000.0]
    pages.clock = lambda: now[0]
    _me(client, tokens["resident_a"])
    _announce(db, tiny, "明早七点采样")
    now[0] += pages.ttl * 2.01
    assert "明早七点采样" in _me(client, tokens["resident_a"]).text


def test_a_session_ended_elsewhere_is_forgotten_when_the_redraw_checks_it(client, db, tokens):
    pages = client.app.state.resident_pages
    now = [1000.0]
    pages.clock = lambda: now[0]
    token = tokens["resident_a"]
    first = _me(client, token)
    db.query(AuthToken).update({AuthToken.expires_at: NOW})  # ended in another process
    db.flush()
    now[0] += pages.ttl * 1.01
    assert _me(client, token).text == first.text  # within the grace: answered, and checked behind
    client.portal.call(pages.settled)
    assert _me(client, token).status_code == 401
