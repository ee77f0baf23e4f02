"""Who can walk to which candidate site: sparse walking distances within the maximum walk. Pure.

A `Reach` holds, for each demand point, the candidate sites within the maximum walk sorted nearest first
(CSR layout: the entries of point i are indptr[i]:indptr[i+1]). Everything beyond the maximum walk is left
out, which is what keeps a city of hundreds of thousands of buildings small.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# Below this many point-site pairs a dense distance matrix is faster than bucketing sites into cells.
_DENSE_PAIRS = 2_000_000
_CHUNK = 50_000  # points per cell-lookup batch: bounds the memory of candidate pairs
_METRES_PER_DEGREE = 111_200.0


def project(lat: np.ndarray, lon: np.ndarray, *, origin: tuple[float, float] | None = None) -> np.ndarray:
    """(n, 2) metres east and north of origin (default: the mean point); good to a few metres over a city."""
    lat, lon = np.asarray(lat, dtype=float), np.asarray(lon, dtype=float)
    lat0, lon0 = origin if origin is not None else (float(lat.mean()), float(lon.mean()))
    x = (lon - lon0) * _METRES_PER_DEGREE * math.cos(math.radians(lat0))
    y = (lat - lat0) * _METRES_PER_DEGREE
    return np.column_stack([x, y])


@dataclass(frozen=True, eq=False)
class Reach:
    """Candidate sites within the maximum walk of each demand point, nearest first."""

    indptr: np.ndarray  # (n + 1,) int64
    site: np.ndarray  # (nnz,) int64 candidate index
    metres: np.ndarray  # (nnz,) float64 walking metres
    n_sites: int

    @property
    def n_points(self) -> int:
        return len(self.indptr) - 1

    @property
    def row(self) -> np.ndarray:
        """The demand point of each entry."""
        return np.repeat(np.arange(self.n_points), np.diff(self.indptr))

    @classmethod
    def from_pairs(cls, rows: np.ndarray, sites: np.ndarray, metres: np.ndarray, n_points: int, n_sites: int):
        order = np.lexsort((sites, metres, rows))  # nearest first, ties by site index: deterministic
        rows, sites, metres = rows[order], sites[order], metres[order]
        indptr = np.zeros(n_points + 1, dtype=np.int64)
        np.cumsum(np.bincount(rows, minlength=n_points), out=indptr[1:])
        return cls(indptr, sites.astype(np.int64), metres.astype(np.float64), n_sites)

    @classmethod
    def from_matrix(cls, distance: np.ndarray, max_walk: float = math.inf) -> Reach:
        """From a dense (points × sites) walking-distance matrix; inf or beyond max_walk means unreachable."""
        distance = np.asarray(distance, dtype=float)
        rows, sites = np.nonzero(np.isfinite(distance) & (distance <= max_walk))
        return cls.from_pairs(rows, sites, distance[rows, sites], *distance.shape)

    @classmethod
    def from_xy(
        cls, point_xy: np.ndarray, site_xy: np.ndarray, *, max_walk: float = math.inf, detour: float = 1.0
    ) -> Reach:
        """From planar coordinates in metres: walking metres = straight-line metres × detour."""
        point_xy, site_xy = np.asarray(point_xy, dtype=float), np.asarray(site_xy, dtype=float)
        n, m = len(point_xy), len(site_xy)
        if n == 0 or m == 0:
            return cls(np.zeros(n + 1, dtype=np.int64), np.zeros(0, np.int64), np.zeros(0), m)
        if n * m <= _DENSE_PAIRS or not math.isfinite(max_walk):
            straight = np.hypot(*(point_xy[:, None, :] - site_xy[None, :, :]).transpose(2, 0, 1))
            return cls.from_matrix(straight * detour, max_walk)
        rows, sites, straight = _pairs_within(point_xy, site_xy, max_walk / detour * (1 + 1e-9))
        keep = straight * detour <= max_walk  # the same test as the dense path, to the last bit
        return cls.from_pairs(rows[keep], sites[keep], straight[keep] * detour, n, m)

    def nearest(self, k: int) -> Reach:
        """Only each point's k nearest candidates (they are sorted nearest first)."""
        counts = np.minimum(np.diff(self.indptr), k)
        keep = np.arange(len(self.site)) - np.repeat(self.indptr[:-1], np.diff(self.indptr)) < k
        indptr = np.zeros_like(self.indptr)
        np.cumsum(counts, out=indptr[1:])
        return Reach(indptr, self.site[keep], self.metres[keep], self.n_sites)

    def dense(self, fill: float = math.inf) -> np.ndarray:
        """(points × sites) walking metres, `fill` where out of reach (small instances only)."""
        out = np.full((self.n_points, self.n_sites), fill)
        out[self.row, self.site] = self.metres
        return out


def _pairs_within(a: np.ndarray, b: np.ndarray, radius: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (i, j, distance) with |a_i - b_j| <= radius, by bucketing b into square cells of side radius:
    a point's partners lie in its own cell or one of the eight around it."""
    origin = np.minimum(a.min(axis=0), b.min(axis=0))
    cell_a = np.floor((a - origin) / radius).astype(np.int64) + 1
    cell_b = np.floor((b - origin) / radius).astype(np.int64) + 1
    width = int(max(cell_a[:, 1].max(), cell_b[:, 1].max())) + 2
    key_b = cell_b[:, 0] * width + cell_b[:, 1]
    order_b = np.argsort(key_b, kind="stable")
    sorted_keys = key_b[order_b]
    out_rows, out_cols, out_dist = [], [], []
    for start in range(0, len(a), _CHUNK):
        chunk = slice(start, start + _CHUNK)
        for dx in (-1, 0, 1):
            for dy in (-1, 0, 1):
                key = (cell_a[chunk, 0] + dx) * width + cell_a[chunk, 1] + dy
                lo = np.searchsorted(sorted_keys, key, "left")
                counts = np.searchsorted(sorted_keys, key, "right") - lo
                rows = np.repeat(np.arange(start, start + len(key)), counts)
                offsets = np.arange(len(rows)) - np.repeat(np.cumsum(counts) - counts, counts)
                cols = order_b[np.repeat(lo, counts) + offsets]
                dist = np.hypot(*(a[rows] - b[cols]).T)
                keep = dist <= radius
                out_rows.append(rows[keep])
                out_cols.append(cols[keep])
                out_dist.append(dist[keep])
    return np.concatenate(out_rows), np.concatenate(out_cols), np.concatenate(out_dist)
