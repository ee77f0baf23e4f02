"""Errors of residents' tickets, deliveries and announcements."""

from __future__ import annotations

from gridscreen.errors import Conflict, Forbidden, Invalid, NotFound


class TicketNotFound(NotFound):
    def __init__(self, ticket_id: int):
        super().__init__("ticket {ticket_id} not found", ticket_id=ticket_id)


class TicketResolved(Conflict):
    def __init__(self, ticket_id: int):
        super().__init__("ticket {ticket_id} is already resolved", ticket_id=ticket_id)


class NotYourTicket(Forbidden):
    def __init__(self) -> None:
        super().__init__("this ticket is assigned to someone else")


class NeedsAHousehold(Invalid):
    def __init__(self) -> None:
        super().__init__("say which household the ticket is for, or which grid it belongs to")


class VolunteerNotHere(Invalid):
    def __init__(self, user_id: int):
        super().__init__("user {user_id} is not a volunteer of this ticket's grid", user_id=user_id)


class NotACompound(Invalid):
    def __init__(self, area_id: int):
        super().__init__("area {area_id} is not a compound", area_id=area_id)


class HouseholdNotInCompound(Invalid):
    def __init__(self) -> None:
        super().__init__("the household does not live in that compound")


class AlreadyDelivered(Conflict):
    def __init__(self, delivery_id: int):
        super().__init__("delivery {delivery_id} was already marked delivered", delivery_id=delivery_id)


class DeliveryNotFound(NotFound):
    def __init__(self, delivery_id: int):
        super().__init__("delivery {delivery_id} not found", delivery_id=delivery_id)


class NotificationNotFound(NotFound):
    def __init__(self, notification_id: int):
        super().__init__("notification {notification_id} not found", notification_id=notification_id)
