"""Pictures for the dashboard, drawn as SVG geometry on the server (no map tiles, no chart library to load):
a progress chart of running totals, and a hexagon map of grids coloured by coverage. Pure: no database."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

# Coverage at or above each bound takes the next colour step; the last step reads "done".
COVERAGE_STEPS = (0.5, 0.8, 0.95, 0.999)


def coverage_step(sampled: int, expected: int) -> int:
    """0 (under half) to 4 (everyone), for colouring; an area with nobody expected counts as done."""
    share = sampled / expected if expected else 1.0
    return sum(share >= bound for bound in COVERAGE_STEPS)


@dataclass(frozen=True)
class Line:
    name: str
    points: str  # "x,y x,y ..." for an SVG polyline
    last: int


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    lines: list[Line]
    y_max: int
    y_ticks: list[tuple[float, int]]  # (y, value)
    x_ticks: list[tuple[float, datetime]]  # (x, hour)
    target_y: float | None  # where the expected total sits


def progress_chart(
    hours: Sequence[datetime],
    series: dict[str, Sequence[int]],
    *,
    target: int,
    width: int = 640,
    height: int = 220,
    pad: int = 40,
) -> Chart:
    """Running totals per hour as step-free polylines against the target (everyone expected)."""
    top = max([target, *(max(v, default=0) for v in series.values())]) or 1
    inner_w, inner_h = width - 2 * pad, height - 2 * pad
    n = len(hours)

    def x(i: int) -> float:
        return pad + (inner_w * i / (n - 1) if n > 1 else inner_w / 2)

    def y(v: float) -> float:
        return pad + inner_h * (1 - v / top)

    lines = [
        Line(name=name, points=" ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values)), last=values[-1])
        for name, values in series.items()
        if values
    ]
    ticks = 4
    y_ticks = [(y(top * k / ticks), round(top * k / ticks)) for k in range(ticks + 1)]
    every = max(1, math.ceil(n / 8))
    x_ticks = [(x(i), hours[i]) for i in range(0, n, every)]
    return Chart(width, height, lines, top, y_ticks, x_ticks, y(target) if target else None)


@dataclass(frozen=True)
class Hex:
    points: str  # polygon corners
    expected: int
    sampled: int
    step: int
    grids: int
    area_id: int | None  # the grid, when the cell holds exactly one
    name: str


@dataclass(frozen=True)
class HexMap:
    width: int
    height: int
    cells: list[Hex]


def hex_map(
    grids: Sequence[tuple[int, str, float, float, int, int]],
    *,
    width: int = 640,
    height: int = 480,
    across: int = 40,
) -> HexMap:
    """Bin grids (id, name, lat, lon, expected, sampled) into pointy-top hexagons about `across` to the width,
    summing what each cell holds; the map keeps the true east-west to north-south proportions."""
    if not grids:
        return HexMap(width, height, [])
    mid_lat = math.radians(sum(g[2] for g in grids) / len(grids))
    xs = [g[3] * math.cos(mid_lat) for g in grids]
    ys = [-g[2] for g in grids]
    left, top = min(xs), min(ys)
    span_x, span_y = (max(xs) - left) or 1e-6, (max(ys) - top) or 1e-6
    scale = min((width - 20) / span_x, (height - 20) / span_y)
    size = max(width / across / math.sqrt(3), 3.0)  # hexagon radius in pixels
    bins: dict[tuple[int, int], list] = {}
    for g, gx, gy in zip(grids, xs, ys, strict=True):
        px, py = 10 + (gx - left) * scale, 10 + (gy - top) * scale
        bins.setdefault(_axial(px, py, size), []).append(g)
    cells = []
    for (q, r), members in sorted(bins.items()):
        cx, cy = size * math.sqrt(3) * (q + r / 2), size * 1.5 * r
        angles = [math.radians(60 * k - 30) for k in range(6)]
        corners = " ".join(f"{cx + size * math.cos(a):.1f},{cy + size * math.sin(a):.1f}" for a in angles)
        expected, sampled = sum(m[4] for m in members), sum(m[5] for m in members)
        single = members[0] if len(members) == 1 else None
        cells.append(
            Hex(
                points=corners,
                expected=expected,
                sampled=sampled,
                step=coverage_step(sampled, expected),
                grids=len(members),
                area_id=single[0] if single else None,
                name=single[1] if single else "",
            )
        )
    return HexMap(width, height, cells)


def _axial(px: float, py: float, size: float) -> tuple[int, int]:
    """The pointy-top hexagon a pixel falls in (cube rounding)."""
    q = (math.sqrt(3) / 3 * px - py / 3) / size
    r = (2 / 3 * py) / size
    x, z = q, r
    y = -x - z
    rx, ry, rz = round(x), round(y), round(z)
    dx, dy, dz = abs(rx - x), abs(ry - y), abs(rz - z)
    if dx > dy and dx > dz:
        rx = -ry - rz
    elif dy <= dz:
        rz = -rx - ry
    return int(rx), int(rz)


def sparklines(*series: Sequence[float], width: int = 120, height: int = 28) -> list[str]:
    """Points of small trend lines drawn on one scale, from zero to the highest value of any of them."""
    high = max((v for values in series for v in values), default=0) or 1.0
    lines = []
    for values in series:
        step = width / (len(values) - 1) if len(values) > 1 else 0.0
        x0 = 0.0 if len(values) > 1 else width / 2
        points = (f"{x0 + i * step:.1f},{height - 2 - v / high * (height - 4):.1f}" for i, v in enumerate(values))
        lines.append(" ".join(points))
    return lines


def catchment_map(buildings, sites, *, width: int = 640, height: int = 420, pad: int = 16) -> dict:
    """Buildings as dots joined to their site, sites as squares sized by desks, each catchment its own hue:
    the map a planner checks a plan on. Inputs as `planning.plans.Catchments` holds them."""
    points = [(lat, lon) for lat, lon, *_ in buildings] + [(s[2], s[3]) for s in sites if s[2] is not None]
    if not points:
        return {"width": width, "height": height, "dots": [], "spokes": [], "squares": []}
    lats, lons = [p[0] for p in points], [p[1] for p in points]
    south, north, west, east = min(lats), max(lats), min(lons), max(lons)
    scale = min((width - 2 * pad) / max(east - west, 1e-9), (height - 2 * pad) / max(north - south, 1e-9))

    def xy(lat, lon):
        return round(pad + (lon - west) * scale, 1), round(height - pad - (lat - south) * scale, 1)

    where = {s[0]: xy(s[2], s[3]) for s in sites if s[2] is not None}
    hue = {s[0]: (i * 137) % 360 for i, s in enumerate(sorted(sites))}
    dots, spokes = [], []
    for lat, lon, site, _persons in buildings:
        x, y = xy(lat, lon)
        colour = f"hsl({hue[site]},65%,45%)" if site in hue else "#c62828"
        dots.append((x, y, colour))
        if site in where:
            spokes.append((x, y, *where[site], colour))
    squares = [(*where[s[0]], 4 + 2 * s[4], f"hsl({hue[s[0]]},65%,35%)", s[1], s[4], s[5], s[6])
               for s in sites if s[0] in where]  # fmt: skip
    return {"width": width, "height": height, "dots": dots, "spokes": spokes, "squares": squares}
