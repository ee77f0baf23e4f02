"""The grid's support desk page: sign up a volunteer, plan and deliver food, announce to residents."""

from tests.auth.factories import bearer


def test_a_grid_worker_runs_the_support_desk_from_the_page(client, tiny, tokens):
    headers = bearer(tokens["grid_a"])
    desk = f"/areas/{tiny.a.committee.id}/support"
    assert client.get(desk, headers=headers).status_code == 200
    volunteer = {"display_name": "李娜", "username": "li_na", "password": "long enough", "skills": ["medicine"]}
    signed = client.post(f"{desk}/volunteers", headers=headers, follow_redirects=False, data=volunteer)
    assert signed.status_code == 303
    food = {"compound_id": tiny.a.compound.id, "kind": "food", "items": "蔬菜包", "quantity": 2,
            "planned_for": "2022-04-10"}  # fmt: skip
    planned = client.post(f"{desk}/deliveries", headers=headers, follow_redirects=False, data=food)
    assert planned.status_code == 303
    announced = client.post(f"{desk}/announcements", headers=headers, follow_redirects=False,
                            data={"title": "团购", "body": "今晚八点到货"})  # fmt: skip
    assert announced.status_code == 303
    page = client.get(desk, headers=headers).text
    assert "李娜" in page and "今晚八点到货" in page
    resident = client.get("/me", headers=bearer(tokens["resident_a"])).text
    assert "今晚八点到货" in resident


def test_a_volunteer_with_a_short_password_is_refused_with_a_reason(client, tiny, tokens):
    response = client.post(f"/areas/{tiny.a.committee.id}/support/volunteers", headers=bearer(tokens["grid_a"]),
                           data={"display_name": "x", "username": "short_pw", "password": "short"})  # fmt: skip
    assert response.status_code == 200 and "password" in response.text


def test_another_grids_worker_cannot_open_the_desk(client, tiny, tokens):
    assert client.get(f"/areas/{tiny.a.committee.id}/support", headers=bearer(tokens["grid_b"])).status_code in (
        403,
        404,
    )
