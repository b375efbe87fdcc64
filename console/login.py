"""``/login``, ``/logout`` and ``/``: who may enter the console, and where they land.

Wrong passwords are limited per client address and per user name (5 in 5 minutes each, per
server process): beyond that the form answers 429 with ``Retry-After`` and says so in the
user's language, right password or not, so guessing costs a minute per try.
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from basuracero.api.errors import ApiError
from basuracero.api.limits import Throttle
from basuracero.console.auth import (
    SESSION_CSRF,
    SESSION_LANG,
    SESSION_STAMP,
    SESSION_USER,
    ConsoleUser,
    console_user,
    csrf_checked,
    session_user,
    users_of,
)
from basuracero.console.pages import render, translate

router = APIRouter(include_in_schema=False)

LOGIN_LIMIT = 5
LOGIN_WINDOW_S = 300.0


class LoginThrottle:
    """Failed logins per client address and per user name; either one full means 429."""

    def __init__(self, limit: int = LOGIN_LIMIT, window_s: float = LOGIN_WINDOW_S) -> None:
        self.by_address = Throttle(limit=limit, window_s=window_s)
        self.by_name = Throttle(limit=limit, window_s=window_s)

    def wait_s(self, address: str, name: str) -> int | None:
        """Seconds until this address may try this name again; None: it may now."""
        waits = []
        for throttle, key in ((self.by_address, address), (self.by_name, name.lower())):
            try:
                throttle.check(key)
            except ApiError as exc:
                waits.append(int((exc.headers or {}).get("Retry-After", "60")))
        return max(waits) if waits else None

    def failed(self, address: str, name: str) -> None:
        self.by_address.failed(address)
        self.by_name.failed(name.lower())


def safe_next(target: str | None) -> str | None:
    """A page of this site to go to after login; anything else (another host, ``//evil``,
    a scheme) is dropped, so the login cannot be used to send people elsewhere."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return None if parts.scheme or parts.netloc else target


def landing(request: Request, user: ConsoleUser) -> str:
    """Hoy of the user's first area (an admin: of the default area)."""
    area = user.home_area(request.app.state.default_area, request.app.state.areas)
    return f"/hoy?area={quote(area)}"


@router.get("/", response_class=HTMLResponse)
def root(request: Request) -> Response:
    """With a session: the user's Hoy; without: the login form."""
    user = session_user(request)
    if user is None:
        return login_page(request)
    return RedirectResponse(landing(request, user), status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None) -> Response:
    user = session_user(request)
    if user is not None:
        target = safe_next(next) or landing(request, user)
        return RedirectResponse(target, status_code=303)
    return login_page(request, next_url=safe_next(next) or "")


def login_page(
    request: Request,
    *,
    next_url: str = "",
    username: str = "",
    error: str | None = None,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    response = render(
        request,
        "login.html",
        user=None,
        title=translate(request, "Log in"),
        next_url=next_url,
        username=username,
        error=error,
        no_users=not users_of(request).all_users(),
        status_code=status_code,
    )
    response.headers.update(headers or {})
    return response


@router.post("/login", response_class=HTMLResponse, dependencies=[Depends(csrf_checked)])
def login(
    request: Request,
    username: str = Form("", max_length=200),
    password: str = Form("", max_length=2000),
    next: str = Form("", max_length=2000),
) -> Response:
    """Check the name and password; on success a fresh session and the user's landing page."""
    throttle: LoginThrottle = request.app.state.login_throttle
    address = request.client.host if request.client else "unknown"
    name = username.strip()
    wait = throttle.wait_s(address, name)
    if wait is not None:
        message = translate(request, "Too many failed attempts. Try again in {minutes} min.")
        return login_page(
            request,
            next_url=safe_next(next) or "",
            username=name,
            error=message.format(minutes=max(1, -(-wait // 60))),
            status_code=429,
            headers={"Retry-After": str(wait)},
        )
    found = users_of(request).authenticate(name, password) if name and password else None
    if found is None:
        throttle.failed(address, name)
        return login_page(
            request,
            next_url=safe_next(next) or "",
            username=name,
            status_code=401,
            error=translate(request, "Wrong user or password, or the user is disabled."),
        )
    lang = request.session.get(SESSION_LANG)
    request.session.clear()  # a new session: nothing of the anonymous one carries over
    request.session[SESSION_USER] = found.name
    request.session[SESSION_STAMP] = found.stamp
    if lang:
        request.session[SESSION_LANG] = lang
    user = console_user(found)
    target = safe_next(next) or landing(request, user)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(csrf_checked)])
def logout(request: Request) -> Response:
    lang = request.session.get(SESSION_LANG)
    request.session.clear()
    if lang:
        request.session[SESSION_LANG] = lang
    request.session.pop(SESSION_CSRF, None)
    return RedirectResponse("/login", status_code=303)
