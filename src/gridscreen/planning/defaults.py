"""The numbers a site plan starts from, each with where it comes from. Pure: no database.

Sources:
- [G3] 国务院联防联控机制综合组《区域新型冠状病毒核酸检测组织实施指南（第三版）》, 22 March 2022: a city's
  screening done within 24 hours; about one sampling point per 2,000–3,000 residents; samplers needed =
  residents ÷ 360.
- [NHC-0513] National Health Commission at the State Council joint-mechanism press conference of 13 May 2022
  (郭燕红): one point per 2,000–3,000 residents, one desk (采样台) per 600–800 residents, points set up
  compound by compound (原则上以小区为单位), outdoors first, sports grounds and school yards (学校操场) too.
- [NHC-0523] The same press conference series, 23 May 2022 (米锋): a sampling point within a 15-minute walk
  (步行15分钟核酸“采样圈”) in provincial capitals and cities of ten million.
- [ISSUE] The planning issue: ~120 persons an hour per sampler swabbing into pooled tubes, fewer single;
  p95 wait at a site of at most 15 minutes.
Numbers marked "assumed" have no published source; they are ours and meant to be overridden.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Defaults:
    """Sourced defaults for site planning, slots, queues and door-to-door routes."""

    # [G3], [NHC-0513]: 2,000–3,000 residents per sampling point; we plan for the middle.
    people_per_site: float = 2_500
    # [NHC-0513]: 600–800 residents per desk. Not used directly: desk_capacity below (rate × window ×
    # utilisation) comes out at 648, inside that range, and it is the figure the queue model can check.
    people_per_desk_guidance: tuple[int, int] = (600, 800)
    # [G3]: samplers = residents ÷ 360 per 24-hour round.
    people_per_sampler: float = 360
    # [NHC-0523]: a point within a 15-minute walk.
    max_walk_minutes: float = 15.0
    # Comfortable adult walking speed is 1.2–1.4 m/s (Bohannon 1997, Age and Ageing 26(1)); 75 m/min =
    # 1.25 m/s leaves room for the elderly and for queuing at compound gates.
    walk_m_per_min: float = 75.0
    # Walking paths are longer than the straight line between two points: road circuity factors are about
    # 1.2–1.4 (Ballou, Rahardja & Sakai 2002, Transportation Research A 36(9)); compounds have few gates.
    detour: float = 1.3
    # [ISSUE]: swabs per desk-hour, one sampler swabbing at a time; pooled 10-in-1 tubes.
    swabs_per_desk_hour_pooled: float = 120.0
    # Assumed: single tubes (and household tubes) need a tube per person scanned and labelled: half the rate.
    swabs_per_desk_hour_single: float = 60.0
    # Assumed: a 6-hour sampling window (e.g. 07:00–13:00), chosen so that one desk's planned throughput
    # (120 × 6 × 0.9 = 648) sits inside [NHC-0513]'s 600–800 residents per desk. [G3] allows 24 hours.
    window_hours: float = 6.0
    # Assumed: slots are filled to 90 % of the desks' rate so that random arrivals inside a slot do not
    # build a queue that carries over into the next one.
    utilisation: float = 0.9
    # Assumed: 30-minute arrival slots, the usual 分时段 notice.
    slot_minutes: int = 30
    # [ISSUE]: p95 wait target. (Local rules of 2022 promised at most 30 minutes' queuing.)
    p95_wait_target_minutes: float = 15.0
    # Assumed: swab times vary (coefficient of variation 0.5, gamma distributed).
    service_cv: float = 0.5
    # Assumed: a compound square holds a queue of ~200 at 1 m spacing and up to 4 desks; a school yard or
    # sports ground ([NHC-0513]'s large sites) up to 8.
    max_desks_compound: int = 4
    max_desks_school: int = 8
    # [G3] gives 360 residents per sampler; a desk planned for 648 residents therefore needs 1.8 samplers:
    # two per desk, taking turns in PPE.
    samplers_per_desk: int = 2
    # Assumed: a door-to-door visit (knock, PPE check, swab, scan, seal) takes 5 minutes per household.
    door_visit_minutes: float = 5.0
    # Assumed: a door-to-door team works 08:00–17:00 (minutes from midnight).
    team_start_minute: int = 8 * 60
    team_end_minute: int = 17 * 60

    @property
    def desk_capacity(self) -> float:
        """Persons one desk samples in the window at the planned utilisation (pooled tubes)."""
        return self.swabs_per_desk_hour_pooled * self.window_hours * self.utilisation

    @property
    def max_walk_m(self) -> float:
        """Walking metres reachable within the maximum walk."""
        return self.max_walk_minutes * self.walk_m_per_min

    def samplers_for(self, desks: int) -> int:
        return desks * self.samplers_per_desk

    def guidance_samplers(self, residents: int) -> int:
        """[G3]'s own staffing figure, to compare a plan's samplers with."""
        return math.ceil(residents / self.people_per_sampler)


DEFAULTS = Defaults()
