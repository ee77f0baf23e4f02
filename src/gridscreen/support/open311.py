"""Open311 GeoReport v2, so civic apps and the city hotline can file and read tickets.

Services are the ticket categories; a jurisdiction is a grid (its area code); address_id is a household id.
Callers authenticate with their API token as `api_key` (or a bearer header). Answers are JSON or XML, as
the path's extension asks, and errors take the spec's shape in either."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Literal
from xml.etree import ElementTree

from fastapi import APIRouter, Depends, Form, Query, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from gridscreen import clock
from gridscreen.areas.models import Area, Level
from gridscreen.auth.deps import require
from gridscreen.auth.models import Role
from gridscreen.auth.principal import Principal
from gridscreen.errors import Invalid, NotFound
from gridscreen.http import DbSession
from gridscreen.people import service as people
from gridscreen.people.models import Household
from gridscreen.support import service
from gridscreen.support.models import Category, Channel, Ticket, TicketStatus
from gridscreen.support.schemas import TicketIn

router = APIRouter(prefix="/open311/v2", tags=["open311"])
Operator = Annotated[Principal, Depends(require(Role.grid, Role.subdistrict, Role.district, Role.command))]
Format = Literal["json", "xml"]

SERVICES = {
    Category.groceries: ("Groceries", "Food and daily necessities for a household that cannot go out", "supplies"),
    Category.medicine: ("Medicine", "Medicine, including refills of chronic prescriptions", "health"),
    Category.garbage: ("Garbage pick-up", "Household garbage waiting to be collected", "sanitation"),
    Category.emergency: (
        "Medical emergency (green channel)",
        "Urgent medical care: dialysis, pregnancy, chest pain, an infant's fever. Call 120 as well.",
        "health",
    ),
    Category.other: ("Other need", "Anything else a household needs from its grid", "other"),
}
CONDITIONS = {
    "dialysis": "Dialysis due",
    "pregnancy": "Pregnancy or labour",
    "chest_pain": "Chest pain",
    "infant_fever": "Fever in an infant",
    "other": "Other emergency",
}


class BadRequest(Invalid):
    status = 400  # the spec's code for a request it cannot take


class ServiceNotFound(NotFound):
    def __init__(self, code: str):
        super().__init__("no service with code {code}; see services.json", code=code)


def error_response(status: int, message: str, fmt: str) -> Response:
    if fmt == "xml":
        root = ElementTree.Element("errors")
        error = ElementTree.SubElement(root, "error")
        ElementTree.SubElement(error, "code").text = str(status)
        ElementTree.SubElement(error, "description").text = message
        return _xml(root, status)
    return JSONResponse([{"code": status, "description": message}], status_code=status)


def requested_format(path: str) -> str:
    return "xml" if path.split("?")[0].endswith(".xml") else "json"


@router.get("/services.{fmt}")
def services(fmt: Format, user: Operator, jurisdiction_id: Annotated[str | None, Query(max_length=32)] = None):
    """The needs a household can ask its grid for."""
    rows = [
        {"service_code": c.value, "service_name": name, "description": text, "metadata": c == Category.emergency,
         "type": "realtime", "keywords": c.value, "group": group}
        for c, (name, text, group) in SERVICES.items()
    ]  # fmt: skip
    return _answer(fmt, "services", "service", rows)


@router.get("/services/{service_code}.{fmt}")
def service_definition(service_code: str, fmt: Format, user: Operator):
    category = _category(service_code)
    attributes = [
        {"variable": True, "code": "people_affected", "datatype": "number", "required": False,
         "datatype_description": "How many people in the household need it", "order": 1,
         "description": "People affected", "values": []},
    ]  # fmt: skip
    if category == Category.emergency:
        attributes.append(
            {"variable": True, "code": "condition", "datatype": "singlevaluelist", "required": True,
             "datatype_description": None, "order": 2, "description": "What is the emergency?",
             "values": [{"key": k, "name": v} for k, v in CONDITIONS.items()]}
        )  # fmt: skip
    definition = {"service_code": category.value, "attributes": attributes}
    if fmt == "json":
        return JSONResponse(definition)
    root = ElementTree.Element("service_definition")
    ElementTree.SubElement(root, "service_code").text = category.value
    listed = ElementTree.SubElement(root, "attributes")
    for attribute in attributes:
        node = ElementTree.SubElement(listed, "attribute")
        for key, value in attribute.items():
            if key == "values":
                values = ElementTree.SubElement(node, "values")
                for item in value:
                    _fill(ElementTree.SubElement(values, "value"), item)
            else:
                _fill_one(node, key, value)
    return _xml(root)


@router.post("/requests.{fmt}")
async def create_request(
    request: Request,
    fmt: Format,
    db: DbSession,
    user: Operator,
    jurisdiction_id: Annotated[str, Form(max_length=32)],
    service_code: Annotated[str, Form(max_length=32)],
    description: Annotated[str, Form(min_length=1, max_length=2000)],
    lat: Annotated[float | None, Form(ge=-90, le=90)] = None,
    long: Annotated[float | None, Form(ge=-180, le=180)] = None,
    address_string: Annotated[str | None, Form(max_length=200)] = None,
    address_id: Annotated[int | None, Form(ge=1, le=2_147_483_647)] = None,
    phone: Annotated[str | None, Form(max_length=32)] = None,
    first_name: Annotated[str | None, Form(max_length=50)] = None,
    last_name: Annotated[str | None, Form(max_length=50)] = None,
):
    """File a request for a household (address_id) or at an address inside the grid (jurisdiction_id)."""
    form = await request.form()
    category = _category(service_code)
    grid = _jurisdiction(db, user, jurisdiction_id)
    if address_id is None and not (address_string or (lat is not None and long is not None)):
        raise BadRequest("give address_id (a household), address_string, or lat and long")
    if address_id is not None:
        household = people.get_household(db, user, address_id)
        if household.committee_id != grid.id:
            raise BadRequest("address_id is not a household of this jurisdiction")
    details = description
    caller = " ".join(p for p in (last_name, first_name) if p)
    condition = form.get("attribute[condition]")
    if category == Category.emergency:
        if condition not in CONDITIONS:
            raise BadRequest("attribute[condition] must be one of: {choices}", choices=", ".join(CONDITIONS))
        details = f"[{CONDITIONS[condition]}] {details}"
    if caller:
        details = f"{details} (caller: {caller})"
    affected = form.get("attribute[people_affected]") or "1"
    if not str(affected).isdigit() or not 1 <= int(affected) <= 500:
        raise BadRequest("attribute[people_affected] must be a whole number from 1 to 500")
    data = TicketIn(
        category=category, details=details[:2000], people_affected=int(affected), contact_phone=phone,
        household_id=address_id, grid_id=grid.id, address=address_string, lat=lat, lon=long,
    )  # fmt: skip
    ticket = service.file_ticket(db, user, data, now=clock.now(), channel=Channel.open311)
    rows = [{"service_request_id": str(ticket.id), "service_notice": _notice(ticket), "account_id": None}]
    return _answer(fmt, "service_requests", "request", rows)


@router.get("/requests.{fmt}")
def list_requests(
    fmt: Format,
    db: DbSession,
    user: Operator,
    jurisdiction_id: Annotated[str | None, Query(max_length=32)] = None,
    service_request_id: Annotated[str | None, Query(max_length=2000)] = None,
    service_code: Annotated[str | None, Query(max_length=200)] = None,
    start_date: datetime | None = None,
    end_date: datetime | None = None,
    status: Annotated[str | None, Query(pattern="^(open|closed)(,(open|closed))?$")] = None,
):
    """Requests visible to the caller, newest first (the spec's default window: the last 90 days, 1000 at most)."""
    query = select(Ticket).where(service.visible(user))
    if jurisdiction_id:
        query = query.where(Ticket.committee_id == _jurisdiction(db, user, jurisdiction_id).id)
    if service_request_id:
        ids = [int(i) for i in service_request_id.split(",") if i.strip().isdigit()]
        query = query.where(Ticket.id.in_(ids))
    else:
        end = end_date or clock.now()
        start = start_date or end - _NINETY_DAYS
        query = query.where(Ticket.created_at >= start, Ticket.created_at <= end)
    if service_code:
        query = query.where(Ticket.category.in_([_category(c).value for c in service_code.split(",")]))
    if status and "," not in status:
        closed = Ticket.status == TicketStatus.resolved
        query = query.where(closed if status == "closed" else ~closed)
    tickets = list(db.scalars(query.order_by(Ticket.created_at.desc(), Ticket.id.desc()).limit(1000)))
    return _answer(fmt, "service_requests", "request", _requests(db, tickets))


@router.get("/requests/{service_request_id}.{fmt}")
def get_request(service_request_id: int, fmt: Format, db: DbSession, user: Operator):
    ticket = service.get_ticket(db, user, service_request_id)
    return _answer(fmt, "service_requests", "request", _requests(db, [ticket]))


_NINETY_DAYS = timedelta(days=90)


def _category(code: str) -> Category:
    try:
        return Category(code.strip())
    except ValueError:
        raise ServiceNotFound(code) from None


def _jurisdiction(db: Session, user: Principal, code: str) -> Area:
    grid = db.scalar(select(Area).where(Area.code == code, Area.level == Level.committee))
    if grid is None or not user.covers(grid):
        raise NotFound("jurisdiction {code} is not a grid you serve", code=code)
    return grid


def _notice(ticket: Ticket) -> str:
    due = clock.aware(ticket.acknowledge_by).isoformat(timespec="minutes")
    notice = f"The grid will answer by {due}."
    if ticket.category == Category.emergency:
        notice += " For a medical emergency call 120 as well."
    return notice


def _requests(db: Session, tickets: list[Ticket]) -> list[dict]:
    households = [db.get(Household, t.household_id) for t in tickets if t.household_id]
    addresses = people.household_addresses(db, households) if households else {}
    grids = dict(db.execute(select(Area.id, Area.name).where(Area.id.in_({t.committee_id for t in tickets}))).all())
    return [
        {
            "service_request_id": str(t.id),
            "status": "closed" if t.status == TicketStatus.resolved else "open",
            "status_notes": t.outcome_note or "",
            "service_name": SERVICES[Category(t.category)][0],
            "service_code": t.category,
            "description": t.details,
            "agency_responsible": f"{grids.get(t.committee_id, '')} ({t.level})",
            "service_notice": _notice(t),
            "requested_datetime": clock.aware(t.created_at).isoformat(),
            "updated_datetime": clock.aware(t.updated_at).isoformat(),
            "expected_datetime": clock.aware(t.resolve_by).isoformat(),
            "address": addresses.get(t.household_id) or t.address or "",
            "address_id": str(t.household_id) if t.household_id else "",
            "zipcode": "",
            "lat": t.lat,
            "long": t.lon,
            "media_url": "",
        }
        for t in tickets
    ]


def _answer(fmt: str, plural: str, singular: str, rows: list[dict]) -> Response:
    if fmt == "json":
        return JSONResponse(rows)
    root = ElementTree.Element(plural)
    for row in rows:
        _fill(ElementTree.SubElement(root, singular), row)
    return _xml(root)


def _fill(node: ElementTree.Element, row: dict) -> None:
    for key, value in row.items():
        _fill_one(node, key, value)


def _fill_one(node: ElementTree.Element, key: str, value) -> None:
    child = ElementTree.SubElement(node, key)
    if isinstance(value, bool):
        child.text = "true" if value else "false"
    elif value is not None:
        child.text = str(value)


def _xml(root: ElementTree.Element, status: int = 200) -> Response:
    body = '<?xml version="1.0" encoding="utf-8"?>' + ElementTree.tostring(root, encoding="unicode")
    return Response(body.encode(), status_code=status, media_type="text/xml; charset=utf-8")
