"""Who is using the console and what they may do: sessions, roles, areas and CSRF.

A session is a signed cookie (Starlette's SessionMiddleware) holding the user's name, a CSRF
token and the chosen language. Every request looks the user up again, so a user disabled with
``basuracero user disable``, or given a new password, loses their open sessions at their next
click.

Dependencies for routes:

* ``page_user``: an HTML page; without a session the browser is sent to ``/login?next=...``.
* ``data_user``: a JSON endpoint of the console; without a session a 401 in the API's error shape.
* ``planner_user``: like ``data_user``, and 403 unless the user is a manager or an admin.
* ``csrf_checked``: every state-changing request (form field ``csrf_token`` or header
  ``X-CSRF-Token``, compared with the session's).

The admin token of ``/api/v1`` stays as it is, for scripts; the console never accepts it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from starlette.datastructures import FormData

from basuracero.api.errors import ApiError
from basuracero.fleet.users import User, UserStore
from basuracero.planning.area import Area

SESSION_USER = "user"
SESSION_STAMP = "stamp"  # the password's digest at login: a new password ends the session
SESSION_CSRF = "csrf"
SESSION_LANG = "lang"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
PLANNERS = ("admin", "manager")


@dataclass(frozen=True)
class ConsoleUser:
    """The person behind a request, as the console's pages and endpoints see them."""

    name: str
    role: str  # "admin" | "manager" | "viewer"
    areas: tuple[str, ...]

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    def can_see(self, area_id: str) -> bool:
        """An admin sees every area; anyone else only the areas they were given."""
        return self.is_admin or area_id in self.areas

    def can_plan(self, area_id: str) -> bool:
        """Plan, publish and dispatch: managers in their areas, admins everywhere."""
        return self.role in PLANNERS and self.can_see(area_id)

    def can_manage_devices(self) -> bool:
        """Register, revoke and replace phones' tokens: admins only."""
        return self.is_admin

    def home_area(self, default_area: str, served: dict[str, Area] | None = None) -> str:
        """Where the user lands: their first (served) area; an admin, the default area."""
        if self.is_admin:
            return default_area
        for area in self.areas:
            if served is None or area in served:
                return area
        return self.areas[0] if self.areas else default_area


class LoginRequired(Exception):
    """An HTML page asked for without a session: answered with a 303 to the login form."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url

    def location(self) -> str:
        return f"/login?next={quote(self.next_url, safe='/')}"


class PageRefused(Exception):
    """A console page that cannot be shown (403, 404, ...): answered with an HTML page that says
    why in the user's language, not with JSON."""

    def __init__(self, status: int, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers


def users_of(request: Request) -> UserStore:
    return request.app.state.users


def session_user(request: Request) -> ConsoleUser | None:
    """The active user of this request's session, else None (and a stale session is cleared)."""
    name = request.session.get(SESSION_USER)
    if not isinstance(name, str):
        return None
    found = users_of(request).by_name(name)
    if found is None or found.disabled or request.session.get(SESSION_STAMP) != found.stamp:
        request.session.pop(SESSION_USER, None)
        return None
    return console_user(found)


def console_user(user: User) -> ConsoleUser:
    return ConsoleUser(name=user.name, role=user.role, areas=user.areas)


def page_user(request: Request) -> ConsoleUser:
    """An HTML page's user; without a session: 303 to ``/login?next=<this page>``."""
    user = session_user(request)
    if user is None:
        if request.method not in ("GET", "HEAD"):  # a form's target is no page to come back to
            raise LoginRequired("/")
        query = request.url.query
        raise LoginRequired(request.url.path + (f"?{query}" if query else ""))
    return user


def data_user(request: Request) -> ConsoleUser:
    """A console JSON endpoint's user; without a session: 401 in the API's error shape."""
    user = session_user(request)
    if user is None:
        raise ApiError(401, "log in to the console first (POST /login)", code="unauthorized")
    return user


def planner_user(user: Annotated[ConsoleUser, Depends(data_user)]) -> ConsoleUser:
    """A console JSON endpoint that plans or dispatches: managers and admins only."""
    if user.role not in PLANNERS:
        raise ApiError(403, f"user {user.name!r} ({user.role}) may not plan or dispatch")
    return user


# Route parameters: ``user: PageUser`` (HTML page), ``DataUser`` (JSON), ``PlannerUser``.
PageUser = Annotated[ConsoleUser, Depends(page_user)]
DataUser = Annotated[ConsoleUser, Depends(data_user)]
PlannerUser = Annotated[ConsoleUser, Depends(planner_user)]


def csrf_token(request: Request) -> str:
    """The session's CSRF token, made on first use (pages put it in forms and a meta tag)."""
    token = request.session.get(SESSION_CSRF)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        request.session[SESSION_CSRF] = token
    return token


async def csrf_checked(request: Request) -> None:
    """Refuse (403) a state-changing request whose CSRF token is missing or not the session's:
    another site's form cannot know it, so it cannot act in the user's name."""
    expected = request.session.get(SESSION_CSRF)
    given = request.headers.get(CSRF_HEADER)
    if given is None and _is_form(request):
        form: FormData = await request.form()
        value = form.get(CSRF_FIELD)
        given = value if isinstance(value, str) else None
    if not (
        isinstance(expected, str)
        and given
        and secrets.compare_digest(given.encode(), expected.encode())
    ):
        message = "missing or wrong CSRF token: reload the page and try again"
        if wants_html(request):
            raise PageRefused(403, message)
        raise ApiError(403, message, field=CSRF_FIELD, code="csrf")


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "")
    return kind.startswith(("application/x-www-form-urlencoded", "multipart/form-data"))


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def area_for(
    request: Request, user: ConsoleUser, area_id: str | None, *, page: bool = True
) -> Area:
    """The area a request is about (``?area=``; none given: the user's home area), refused with
    404 when it is not served and 403 when the user may not see it. ``page=False``: the
    refusal is JSON in the API's error shape."""
    served: dict[str, Area] = request.app.state.areas
    chosen = area_id or user.home_area(request.app.state.default_area, served)
    if chosen not in served:
        return _refuse(404, f"no area {chosen!r}", page=page, field="area")
    if not user.can_see(chosen):
        return _refuse(
            403, f"user {user.name!r} may not see area {chosen!r}", page=page, field="area"
        )
    return served[chosen]


def visible_areas(request: Request, user: ConsoleUser) -> list[Area]:
    """The served areas this user may choose between, in the order the service lists them."""
    served: dict[str, Area] = request.app.state.areas
    return [area for area_id, area in served.items() if user.can_see(area_id)]


def _refuse(status: int, message: str, *, page: bool, field: str | None = None) -> Any:
    if page:
        raise PageRefused(status, message)
    raise ApiError(status, message, field=field)
