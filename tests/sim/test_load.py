"""Loading the synthetic city into SQLite and PostgreSQL: counts, hierarchy, blocks, schema, refusal."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, select, text
from sqlalchemy.orm import Session

from gridscreen import migrate
from gridscreen.areas.models import Area, Block, Level
from gridscreen.db import make_engine
from gridscreen.errors import Conflict, Invalid
from gridscreen.models import metadata
from gridscreen.people.models import Person
from gridscreen.sim import load as load_module
from gridscreen.sim.load import CityNotEmpty, CitySummary, load_city
from gridscreen.testing.postgres import create_database

PEOPLE = 12_000

# --- fixtures: an EMPTY migrated database per backend. The loader commits, so these cannot be the shared
# rolled-back `engine` of tests/conftest.py; each test module gets its own database on the shared server.


@pytest.fixture(scope="module", params=("sqlite", "postgres"))
def fresh_engine(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[Callable[[], Engine]]:
    """A factory of new, empty, migrated databases on one backend; all are dropped at the end."""
    made: list[tuple[Engine, Callable[[], None]]] = []

    def make() -> Engine:
        if request.param == "sqlite":
            engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('city') / 'city.db'}")
            made.append((engine, lambda: None))
        else:
            server_url = request.getfixturevalue("postgres_url")
            engine = make_engine(create_database(server_url, "city"))
            name = engine.url.database

            def drop(name=name) -> None:
                admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
                admin.dispose()

            made.append((engine, drop))
        migrate.upgrade(engine)
        return engine

    yield make
    for engine, drop in made:
        engine.dispose()
        drop()


@pytest.fixture(scope="module")
def engine(fresh_engine: Callable[[], Engine]) -> Engine:
    return fresh_engine()


@pytest.fixture(scope="module")
def summary(engine: Engine) -> CitySummary:
    return load_city(engine, people=PEOPLE, seed=2022, progress=False)


def scalar(engine: Engine, sql: str, **params) -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql), params).scalar_one()


def test_summary_matches_the_stored_rows(engine: Engine, summary: CitySummary):
    assert summary.persons == PEOPLE == scalar(engine, "SELECT COUNT(*) FROM person")
    assert summary.households == scalar(engine, "SELECT COUNT(*) FROM household")
    for level, count in summary.areas.items():
        assert count == scalar(engine, "SELECT COUNT(*) FROM area WHERE level = :level", level=level)
    assert summary.areas["city"] == 1 and summary.areas["district"] == 16
    assert summary.blocks == 2 and summary.seconds > 0


COUNT_QUERIES = {
    # (level, column) -> SQL giving (area id, expected count) from the person / household / area rows.
    "residents": "SELECT {col}, COUNT(*) FROM person p JOIN household h ON h.id = p.household_id "
    "JOIN area b ON b.id = h.building_id GROUP BY {col}",
    "households": "SELECT {col}, COUNT(*) FROM household h JOIN area b ON b.id = h.building_id GROUP BY {col}",
    "door_to_door": "SELECT {col}, COUNT(*) FROM person p JOIN household h ON h.id = p.household_id "
    "JOIN area b ON b.id = h.building_id WHERE p.door_reasons <> 0 GROUP BY {col}",
    "buildings": "SELECT {col}, COUNT(*) FROM area b WHERE b.level = 'building' GROUP BY {col}",
}


@pytest.mark.parametrize("count", sorted(COUNT_QUERIES))
@pytest.mark.parametrize("level", [lv.value for lv in Level])
def test_kept_counts_equal_counting_the_rows(engine: Engine, summary: CitySummary, level: str, count: str):
    column = {"city": "b.level", "building": "b.id"}.get(level, f"b.{level}_id")
    with engine.connect() as conn:
        counted = dict(conn.execute(text(COUNT_QUERIES[count].format(col=column))).all())
        kept = conn.execute(text(f"SELECT id, {count} FROM area WHERE level = :level"), {"level": level}).all()
    if level == "city":
        counted = {kept[0][0]: counted.get("building", 0)}  # grouped by b.level: one group
    assert {area_id: value for area_id, value in kept} == {area_id: counted.get(area_id, 0) for area_id, _ in kept}
    assert sum(v for _, v in kept) == sum(counted.values())


def test_ancestor_columns_and_parents_are_consistent(engine: Engine, summary: CitySummary):
    parent_level = {"subdistrict": "district", "committee": "subdistrict", "compound": "committee"}
    parent_level["building"] = "compound"
    parent_level["district"] = "city"
    with Session(engine) as session:
        areas = {a.id: a for a in session.scalars(select(Area))}
    for area in areas.values():
        if area.level == Level.city:
            assert area.parent_id is None
            continue
        parent = areas[area.parent_id]
        assert parent.level == parent_level[area.level]
        for level in ("district", "subdistrict", "committee", "compound"):
            ancestor_id = getattr(area, f"{level}_id")
            if level == parent.level:
                assert ancestor_id == parent.id
            else:
                assert ancestor_id == getattr(parent, f"{level}_id")
            if ancestor_id is not None:
                assert areas[ancestor_id].level == level
        assert area.code.startswith(parent.code) or area.level == Level.district


def test_persons_live_in_households_of_their_own_committee_and_district(engine: Engine, summary: CitySummary):
    mismatched = scalar(
        engine,
        "SELECT COUNT(*) FROM person p JOIN household h ON h.id = p.household_id "
        "JOIN area b ON b.id = h.building_id WHERE p.committee_id <> h.committee_id "
        "OR p.district_id <> h.district_id OR b.committee_id <> h.committee_id OR b.level <> 'building'",
    )
    assert mismatched == 0
    assert scalar(engine, "SELECT COUNT(DISTINCT document_number) FROM person") == PEOPLE


def test_rows_read_back_as_the_model_types(engine: Engine, summary: CitySummary):
    with Session(engine) as session:
        person = session.scalars(select(Person).order_by(Person.id).limit(1)).one()
    assert isinstance(person.birth_date, date)
    assert isinstance(person.registered_elsewhere, bool)
    assert person.name and person.document_number


def test_blocks_cover_every_district_exactly_once(engine: Engine, summary: CitySummary):
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT b.code, a.name_en, a.level FROM block_area ba JOIN block b ON b.id = ba.block_id "
                "JOIN area a ON a.id = ba.area_id"
            )
        ).all()
    assert all(level == "district" for _, _, level in rows)
    assert len(rows) == 16 and len({name for _, name, _ in rows}) == 16
    assert {name for code, name, _ in rows if code == "east"} == {"Pudong", "Fengxian", "Jinshan"}
    with Session(engine) as session:
        dates = {b.code: b.start_date for b in session.scalars(select(Block))}
    assert dates == {"east": date(2022, 3, 28), "west": date(2022, 4, 1)}


def test_schema_is_exactly_the_migrated_one_after_the_load(engine: Engine, summary: CitySummary):
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), metadata) == []
    insp = inspect(engine)
    indexes = {t: sorted(ix["name"] for ix in insp.get_indexes(t)) for t in ("person", "household")}
    assert indexes == {
        "person": ["ix_person_committee_id", "ix_person_document_number", "ix_person_household_id"],
        "household": ["ix_household_building_id", "ix_household_committee_id"],
    }
    fks = {t: sorted(fk["name"] for fk in insp.get_foreign_keys(t)) for t in ("person", "household")}
    assert fks == {"person": ["fk_person_household_id_household"], "household": ["fk_household_building_id_area"]}
    if engine.dialect.name == "sqlite":  # the loader switched checks off on its connection only
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1


def test_new_rows_get_fresh_ids_after_the_load(engine: Engine, summary: CitySummary):
    with Session(engine) as session:
        city = session.scalars(select(Area).where(Area.level == Level.city)).one()
        area = Area(level=Level.district, code="319999", name="测试区", parent_id=city.id)
        area.residents = area.households = area.buildings = area.door_to_door = 0
        session.add(area)
        session.flush()
        assert area.id > sum(summary.areas.values())
        session.rollback()


def test_loading_into_a_database_with_a_city_is_refused(engine: Engine, summary: CitySummary):
    before = scalar(engine, "SELECT COUNT(*) FROM person")
    with pytest.raises(CityNotEmpty) as refused:
        load_city(engine, people=2_000, seed=1, progress=False)
    assert isinstance(refused.value, Conflict) and refused.value.status == 409
    assert "empty database" in str(refused.value)
    assert scalar(engine, "SELECT COUNT(*) FROM person") == before


def test_a_failed_load_leaves_an_empty_database_with_its_indexes(
    fresh_engine: Callable[[], Engine], monkeypatch: pytest.MonkeyPatch
):
    engine = fresh_engine()
    real = load_module.generate_city

    def failing(people: int, seed: int):
        for n, chunk in enumerate(real(people, seed)):
            if n == 3:
                raise RuntimeError("disk full")
            yield chunk

    monkeypatch.setattr(load_module, "generate_city", failing)
    with pytest.raises(RuntimeError, match="disk full"):
        load_city(engine, people=3_000, seed=1, progress=False)
    for table in ("area", "household", "person", "block"):
        assert scalar(engine, f"SELECT COUNT(*) FROM {table}") == 0
    assert len(inspect(engine).get_indexes("person")) == 3
    monkeypatch.undo()
    assert load_city(engine, people=3_000, seed=1, progress=False).persons == 3_000


def test_chunks_generated_ahead_keep_their_order_errors_and_can_be_abandoned():
    assert list(load_module._ahead(iter(range(50)), depth=2)) == list(range(50))

    def failing():
        yield 1
        raise RuntimeError("generator broke")

    with pytest.raises(RuntimeError, match="generator broke"):
        list(load_module._ahead(failing()))
    ahead = load_module._ahead(iter(range(1_000)), depth=1)
    assert next(ahead) == 0
    ahead.close()  # the producer thread stops instead of waiting on a full queue forever


def test_a_city_too_small_is_refused_before_anything_happens(engine: Engine, summary: CitySummary):
    with pytest.raises(Invalid, match="between 500"):
        load_city(engine, people=10, seed=1, progress=False)
