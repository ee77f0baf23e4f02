from datetime import date

from sqlalchemy import text

from gridscreen.auth.models import Role
from gridscreen.auth.principal import AreaGrant, Principal
from gridscreen.planning.schemas import RoundBlockIn, RoundIn
from gridscreen.sampling import service
from tests.auth.factories import bearer
from tests.lab.factories import make_lab, post, ship_and_receive
from tests.lab.test_service import swab
from tests.sampling.factories import NOW, open_round, sampler_of, site_in


def test_no_previous_round_means_no_pool_advice_rather_than_a_guess(db, tiny, client, tokens):
    round_ = open_round(db, tiny)
    response = client.get(
        f"/api/rounds/{round_.id}/pool-advice",
        params={"area_id": tiny.a.committee.id},
        headers=bearer(tokens["grid_a"]),
    )
    assert response.status_code == 200
    assert response.json()["advice"] is None and response.json()["current"]["pool_size"] == 10


def test_the_pool_advice_learns_from_the_previous_rounds_positives(db, tiny):
    first = open_round(db, tiny)
    site, sampler = site_in(db, first, tiny.a), sampler_of(tiny.a.committee)
    lab, lab_user = make_lab(db, tiny.a.district)
    tube, _ = swab(db, sampler, first, tiny.a.persons, site)
    ship_and_receive(db, sampler, lab_user, first, lab, [tube])
    post(db, lab_user, lab, [(tube, "negative")])
    block_id = db.scalar(text("SELECT block_id FROM round_block WHERE round_id = :r"), {"r": first.id})
    second = service.open_round(
        db,
        RoundIn(code="NEXT", name="第二轮", previous_round_id=first.id,
                blocks=[RoundBlockIn(block_id=block_id, sample_date=date(2022, 4, 10))]),
        now=NOW,
    )  # fmt: skip
    command = Principal(1, "c", "c", Role.command, (AreaGrant(tiny.city.id, tiny.city.level),))
    advice, _ = service.pool_advice(db, command, second.id, tiny.a.committee.id)
    # 3 tested, none positive: so little evidence that the estimate stays high (0.5 / 4) and the pool small.
    assert advice.prevalence == 0.125 and advice.recommended_size == 3
    assert advice.tubes_per_person < advice.fixed_tubes_per_person
