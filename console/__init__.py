"""The manager's console: server-rendered pages behind a login, served by ``basuracero serve``.

``router`` gathers the console's pages; ``install`` adds it to the app with what it needs:
the session cookie, the users table, the login limit, the HTML answers for a missing session
(303 to ``/login``) and a refused page, and the static files at ``/console-static``.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles

from basuracero.console import closing, docs, home, login, phones, planner
from basuracero.console import reports as resident_reports
from basuracero.console.auth import LoginRequired, PageRefused, session_user
from basuracero.console.pages import N_, STATIC_URL, render, translate
from basuracero.console.sessions import ConsoleSessions
from basuracero.fleet.users import UserStore

STATIC = __path__[0] + "/static"

router = APIRouter()
router.include_router(login.router)
router.include_router(docs.router)
router.include_router(phones.router)
router.include_router(home.router)
router.include_router(planner.router)
router.include_router(closing.router)
router.include_router(resident_reports.router)


def install(app: FastAPI) -> None:
    """Mount the console on the service's app (after its own routes and middleware)."""
    from basuracero.console.secret import session_secret

    settings = app.state.settings
    app.state.users = UserStore(app.state.store.engine)
    app.state.login_throttle = login.LoginThrottle()
    app.add_middleware(ConsoleSessions, secret=session_secret(settings))
    app.add_exception_handler(LoginRequired, _to_login)  # type: ignore[arg-type]
    app.add_exception_handler(PageRefused, _refused_page)  # type: ignore[arg-type]
    app.include_router(router)
    app.mount(STATIC_URL, StaticFiles(directory=STATIC), name="console-static")


async def _to_login(_request: Request, exc: LoginRequired) -> Response:
    return RedirectResponse(exc.location(), status_code=303)


_TITLES = {403: N_("Not allowed"), 404: N_("Not found"), 422: N_("Not valid")}


async def _refused_page(request: Request, exc: PageRefused) -> Response:
    title = translate(request, _TITLES.get(exc.status, N_("Cannot show this page")))
    response = render(
        request,
        "error.html",
        user=session_user(request),
        title=title,
        message=exc.message,
        status_code=exc.status,
    )
    response.headers.update(exc.headers or {})
    return response
