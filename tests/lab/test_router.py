from gridscreen.auth.models import Role
from tests.auth.factories import bearer
from tests.lab.factories import make_lab, ship_and_receive
from tests.lab.test_service import swab
from tests.sampling.factories import open_round, sampler_of, site_in

EN = {"Accept-Language": "en"}


def _scene(db, tiny, tokens):
    round_ = open_round(db, tiny)
    site, sampler = site_in(db, round_, tiny.a), sampler_of(tiny.a.committee)
    lab, lab_user = make_lab(db, tiny.a.district)
    tube, _ = swab(db, sampler, round_, tiny.a.persons[:2], site)
    ship_and_receive(db, sampler, lab_user, round_, lab, [tube])
    tokens.plans["lab_a"] = (db, "lab_a", Role.lab, [tiny.a.district])
    return lab, tube


def test_a_lab_uploads_a_csv_and_a_bad_row_does_not_sink_the_file(client, db, tiny, tokens):
    lab, tube = _scene(db, tiny, tokens)
    content = (
        f"barcode,result,ct_orf1ab,ct_n,run\n{tube},negative,,,R1\n{tube[:-1]}X,positive,31,30.5,R1\n"
        "SH00000000019,maybe,,,R1\n"
    )
    response = client.post(
        "/api/results/csv",
        files={"file": ("run1.csv", content.encode(), "text/csv")},
        data={"lab_id": str(lab.id)},
        headers={**bearer(tokens["lab_a"]), **EN},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (1, 2)
    assert [o["status"] for o in body["outcomes"]] == ["accepted", "rejected", "rejected"]


def test_a_file_without_the_columns_is_refused_whole(client, db, tiny, tokens):
    lab, _ = _scene(db, tiny, tokens)
    response = client.post(
        "/api/results/csv",
        files={"file": ("r.csv", b"tube;value\nA;B\n", "text/csv")},
        data={"lab_id": str(lab.id)},
        headers={**bearer(tokens["lab_a"]), **EN},
    )
    assert response.status_code == 422 and "barcode and result" in response.json()["detail"]


def test_a_conflicting_result_answers_409_and_waits_for_review(client, db, tiny, tokens):
    lab, tube = _scene(db, tiny, tokens)
    headers = {**bearer(tokens["lab_a"]), **EN}
    first = {"lab_id": lab.id, "upload": "a", "results": [{"barcode": tube, "result": "negative"}]}
    assert client.post("/api/results", json=first, headers=headers).status_code == 200
    second = {
        "lab_id": lab.id,
        "upload": "b",
        "results": [{"barcode": tube, "result": "positive", "ct_orf1ab": 25, "ct_n": 24.5}],
    }
    response = client.post("/api/results", json=second, headers=headers)
    assert response.status_code == 409 and response.json()["conflicts"] == 1
    review = client.get("/api/results/review", params={"lab_id": lab.id}, headers=headers).json()
    assert [r["status"] for r in review] == ["conflict"] and review[0]["result"] == "positive"
