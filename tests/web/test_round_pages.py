"""The round's pages as HTTP sees them (the browser tests drive the same pages in Chromium)."""

import io

from openpyxl import load_workbook

from gridscreen.http import LANG_COOKIE
from tests.auth.factories import bearer
from tests.coverage.test_service import positive_pool  # noqa: F401  (fixture)


def _export(client, tiny, round_, token):
    client.cookies.set(LANG_COOKIE, "en")
    response = client.get(
        f"/areas/{tiny.a.committee.id}/missing.xlsx", params={"round": round_.id}, headers=bearer(token)
    )
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_missing_list_exports_to_excel_with_each_knocks_outcome(client, tiny, tokens, positive_pool):  # noqa: F811
    round_, _ = positive_pool
    client.post(
        f"/areas/{tiny.a.committee.id}/door-knocks/{tiny.a.persons[2].id}",
        params={"round": round_.id},
        data={"reason": "refused"},
        headers=bearer(tokens["grid_a"]),
    )
    header, *rows = _export(client, tiny, round_, tokens["grid_a"])
    assert header[:5] == ["Name", "Address", "Phone", "Status", "Door-knock"]
    [row] = rows
    person = tiny.a.persons[2]
    assert (row[0], row[2], row[3], row[4]) == (person.name, person.phone, "not yet sampled", "refused")


def test_a_sampler_gets_the_export_with_phones_masked(client, tiny, tokens, positive_pool):  # noqa: F811
    round_, _ = positive_pool
    _, row = _export(client, tiny, round_, tokens["sampler_a"])
    assert row[2] != tiny.a.persons[2].phone and "*" in row[2]


def test_the_panels_sort_child_areas_by_the_figure_asked_for(client, tiny, tokens, positive_pool):  # noqa: F811
    round_, _ = positive_pool
    url = f"/areas/{tiny.city.id}/panels"
    headers = bearer(tokens["command"])
    worst_first = client.get(url, params={"round": round_.id, "sort": "coverage", "order": "asc"}, headers=headers)
    best_first = client.get(url, params={"round": round_.id, "sort": "coverage", "order": "desc"}, headers=headers)
    a, b = tiny.a.district.name, tiny.b.district.name
    assert worst_first.text.index(b) < worst_first.text.index(a)  # B has sampled nobody yet
    assert best_first.text.index(a) < best_first.text.index(b)
    bad = client.get(url, params={"round": round_.id, "sort": "password"}, headers=headers)
    assert bad.status_code == 422
