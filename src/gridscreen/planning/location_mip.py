"""The exact site plan as a mixed-integer programme for HiGHS (see location.solve_exact). Small instances only.

    min  Σ w_i d_ij x_ij + penalty Σ w_i u_i
    s.t. Σ_j x_ij + u_i = 1                 every building assigned to one site, or left out
         Σ_i persons_i x_ij <= cap_j y_j     no site over capacity, none used unless open
         x_ij <= y_j                         (implied, but tightens the relaxation a great deal)
         Σ_{j in group g} y_j <= p_g          the site budget of each group
         x, y binary; u in [0, 1]

x_ij exists only for pairs within the maximum walk, so the model grows with the reach, not with n × m.
"""

from __future__ import annotations

from dataclasses import dataclass

import highspy
import numpy as np

from gridscreen.planning.reach import Reach


@dataclass(frozen=True, slots=True)
class MipResult:
    entry: np.ndarray  # reach entry per point, -1 if left out (all -1 when no solution was found)
    objective: float  # of the best solution found (inf without one)
    bound: float  # proven lower bound
    optimal: bool  # proven optimal within the requested relative gap
    status: str


def solve_mip(
    reach: Reach,
    persons: np.ndarray,
    weight: np.ndarray,
    capacity: np.ndarray,
    budgets: list[tuple[np.ndarray, int]],
    penalty: float,
    *,
    time_limit: float,
    mip_gap: float,
    seed: int,
    start: np.ndarray | None = None,
) -> MipResult:
    n, m, nnz = reach.n_points, reach.n_sites, len(reach.site)
    row = reach.row
    h = highspy.Highs()
    for name, value in (
        ("output_flag", False),
        ("time_limit", float(time_limit)),
        ("mip_rel_gap", float(mip_gap)),
        ("random_seed", int(seed)),
        ("threads", 1),
    ):
        h.setOptionValue(name, value)
    inf = highspy.kHighsInf
    # Columns: y (m), x (nnz), u (n).
    cost = np.concatenate([np.zeros(m), weight[row] * reach.metres, penalty * weight])
    lower = np.zeros(m + nnz + n)
    upper = np.ones(m + nnz + n)
    h.addCols(len(cost), cost, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32), np.zeros(0))
    h.changeColsIntegrality(m + nnz, np.arange(m + nnz, dtype=np.int32), np.ones(m + nnz, dtype=np.uint8))
    x = m + np.arange(nnz)
    u = m + nnz + np.arange(n)

    rows: list[tuple[np.ndarray, np.ndarray, float, float]] = []
    # Assignment: entries of a point are contiguous in the reach.
    for i in range(n):
        a, b = reach.indptr[i], reach.indptr[i + 1]
        rows.append((np.r_[x[a:b], u[i]], np.ones(b - a + 1), 1.0, 1.0))
    by_site = np.argsort(reach.site, kind="stable")
    site_ptr = np.searchsorted(reach.site[by_site], np.arange(m + 1))
    for j in range(m):
        mine = by_site[site_ptr[j] : site_ptr[j + 1]]
        rows.append((np.r_[x[mine], j], np.r_[persons[row[mine]], -capacity[j]], -inf, 0.0))
    for e in range(nnz):
        rows.append((np.array([x[e], reach.site[e]]), np.array([1.0, -1.0]), -inf, 0.0))
    for sites, budget in budgets:
        rows.append((np.asarray(sites), np.ones(len(sites)), -inf, float(budget)))
    _add_rows(h, rows)

    if start is not None:
        h.setSolution(_solution_vector(start, reach, m, n))
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    values = np.asarray(h.getSolution().col_value) if info.primal_solution_status == 2 else None
    if values is None or len(values) != len(cost):
        return MipResult(np.full(n, -1, np.int64), float("inf"), float(info.mip_dual_bound), False, status)
    chosen = values[x] > 0.5
    entry = np.full(n, -1, dtype=np.int64)
    entry[row[chosen]] = np.flatnonzero(chosen)
    optimal = status == "Optimal"
    return MipResult(entry, float(info.objective_function_value), float(info.mip_dual_bound), optimal, status)


def _add_rows(h: highspy.Highs, rows: list[tuple[np.ndarray, np.ndarray, float, float]]) -> None:
    lengths = np.array([len(idx) for idx, _, _, _ in rows])
    starts = np.r_[0, np.cumsum(lengths)[:-1]].astype(np.int32)
    index = np.concatenate([idx for idx, _, _, _ in rows]).astype(np.int32)
    value = np.concatenate([val for _, val, _, _ in rows]).astype(np.float64)
    lower = np.array([lo for _, _, lo, _ in rows], dtype=np.float64)
    upper = np.array([hi for _, _, _, hi in rows], dtype=np.float64)
    h.addRows(len(rows), lower, upper, len(index), starts, index, value)


def _solution_vector(entry: np.ndarray, reach: Reach, m: int, n: int) -> highspy.HighsSolution:
    """A heuristic plan as a starting solution: HiGHS then only has to prove (or beat) it."""
    nnz = len(reach.site)
    values = np.zeros(m + nnz + n)
    on = entry >= 0
    values[m + entry[on]] = 1.0
    values[np.unique(reach.site[entry[on]])] = 1.0
    values[m + nnz + np.flatnonzero(~on)] = 1.0
    solution = highspy.HighsSolution()
    solution.col_value = values.tolist()
    solution.value_valid = True
    return solution
