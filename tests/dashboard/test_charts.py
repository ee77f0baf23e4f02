from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gridscreen.dashboard import charts


@pytest.mark.parametrize(
    ("sampled", "expected", "step"), [(0, 10, 0), (5, 10, 1), (8, 10, 2), (96, 100, 3), (10, 10, 4), (0, 0, 4)]
)
def test_coverage_steps_colour_the_map(sampled, expected, step):
    assert charts.coverage_step(sampled, expected) == step


grid = st.tuples(
    st.integers(1, 10**6),
    st.just("网格"),
    st.floats(30.7, 31.9),
    st.floats(120.9, 122.0),
    st.integers(0, 5000),
    st.integers(0, 5000),
)


@given(st.lists(grid, min_size=1, max_size=300))
def test_the_hex_map_keeps_every_person_and_stays_inside_the_picture(grids):
    picture = charts.hex_map(grids, width=640, height=480, across=30)
    assert sum(c.expected for c in picture.cells) == sum(g[4] for g in grids)
    assert sum(c.sampled for c in picture.cells) == sum(g[5] for g in grids)
    assert sum(c.grids for c in picture.cells) == len(grids)
    for cell in picture.cells:
        for corner in cell.points.split():
            x, y = map(float, corner.split(","))
            assert -30 <= x <= 670 and -30 <= y <= 510


def test_a_cell_holding_one_grid_links_to_it_and_far_apart_grids_get_cells_of_their_own():
    grids = [(1, "东", 31.2, 121.6, 100, 100), (2, "西", 31.2, 121.3, 100, 10)]
    cells = sorted(charts.hex_map(grids).cells, key=lambda c: c.area_id)
    assert [(c.area_id, c.step) for c in cells] == [(1, 4), (2, 0)]


def test_the_progress_chart_runs_from_the_first_hour_to_the_last_under_the_target():
    start = datetime(2022, 4, 4, tzinfo=UTC)
    hours = [start + timedelta(hours=h) for h in range(3)]
    chart = charts.progress_chart(hours, {"sampled": [10, 50, 90]}, target=100, width=640, height=220, pad=40)
    [line] = chart.lines
    xs = [float(p.split(",")[0]) for p in line.points.split()]
    ys = [float(p.split(",")[1]) for p in line.points.split()]
    assert (xs[0], xs[-1]) == (40, 600)
    assert ys == sorted(ys, reverse=True) and all(y >= chart.target_y for y in ys)
    assert chart.target_y == 40 and line.last == 90
