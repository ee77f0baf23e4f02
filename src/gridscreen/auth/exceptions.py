from gridscreen.errors import Conflict, Forbidden, Invalid, Unauthorised


class NotLoggedIn(Unauthorised):
    def __init__(self) -> None:
        super().__init__("please log in first")


class BadCredentials(Unauthorised):
    def __init__(self) -> None:
        super().__init__("wrong user name or password")


class RoleNotAllowed(Forbidden):
    def __init__(self, role: str) -> None:
        super().__init__("your role ({role}) may not do this", role=role)


class UsernameTaken(Conflict):
    def __init__(self, username: str) -> None:
        super().__init__("user name {username} is already taken", username=username)


class UserNeedsArea(Invalid):
    def __init__(self, role: str) -> None:
        super().__init__("a user with role {role} needs at least one area", role=role)
