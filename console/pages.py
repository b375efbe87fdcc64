"""Server-rendered pages of the console: one Jinja2 environment per language and ``render``.

Every page extends ``base.html``: the top navigation (Hoy, Planificar, Camiones y celulares,
Cierre del día, each for the chosen area), the area chooser, the user and "Salir", and the
ES/EN switch. Spanish by default; ``?lang=en`` on any page switches and the session remembers.

Sentences are gettext msgids in English, translated by the console's catalogues: every ``.mo``
under ``console/locale/<lang>/LC_MESSAGES/`` is loaded (one domain per part of the console, so
parts can be translated apart), with Babel's formats of ``maps.i18n`` for dates and numbers.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment

from basuracero.console.auth import SESSION_LANG, ConsoleUser, csrf_token, visible_areas
from basuracero.maps.i18n import LANGUAGES, get_lang, template_environment
from basuracero.planning.area import Area

LOCALE_DIR = Path(str(files(__package__).joinpath("locale")))
STATIC_URL = "/console-static"
DEFAULT_LANG = "es"


def N_(message: str) -> str:
    """Marks a msgid for the catalogue where it is defined; it is translated where shown."""
    return message


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str  # msgid


NAVIGATION = (
    NavItem("/hoy", N_("Today")),
    NavItem("/planificar", N_("Plan")),
    NavItem("/camiones", N_("Trucks and phones")),
    NavItem("/cierre", N_("Day close")),
)

ROLE_NAMES = {"admin": N_("administrator"), "manager": N_("manager"), "viewer": N_("viewer")}

# Pages answer with these: no caching of pages that carry a CSRF token or device details, no
# framing (clickjacking of the buttons), no referrer leaving with a token in a URL.
PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


@cache
def catalogue(code: str) -> gettext.NullTranslations:
    """Every console domain of one language, chained; a msgid none has comes back as is."""
    folder = LOCALE_DIR / code / "LC_MESSAGES"
    chain: gettext.NullTranslations | None = None
    for mo in sorted(folder.glob("*.mo")):
        with mo.open("rb") as handle:
            translations = gettext.GNUTranslations(handle)
        if chain is None:
            chain = translations
        else:
            chain.add_fallback(translations)
    return chain or gettext.NullTranslations()


@cache
def environment(code: str) -> Environment:
    """The Jinja2 environment of one language (autoescaped HTML, gettext ``_``)."""
    return template_environment("basuracero.console", catalogue(code), static_url=STATIC_URL)


def language(request: Request) -> str:
    """``?lang=`` when given (and remembered in the session), else the session's, else Spanish."""
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        request.session[SESSION_LANG] = asked
        return asked
    kept = request.session.get(SESSION_LANG)
    return kept if kept in LANGUAGES else DEFAULT_LANG


def translate(request: Request, message: str) -> str:
    """One sentence in the request's language (for code that answers outside a template)."""
    return catalogue(language(request)).gettext(message)


def with_query(request: Request, **changes: str | None) -> str:
    """This page's path and query with some parameters changed (None: removed)."""
    params = {k: v for k, v in request.query_params.items() if k not in changes}
    params.update({k: v for k, v in changes.items() if v is not None})
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def render(
    request: Request,
    template_name: str,
    *,
    user: ConsoleUser | None,
    title: str,
    area: Area | None = None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A console page in the user's language, inside ``base.html``.

    ``title`` is already translated (or a proper name); ``area`` is the area the page is about
    (it sets the chooser and the navigation's ``?area=``; default: ``?area=`` of the request).
    """
    code = language(request)
    area_id = area.id if area is not None else request.query_params.get("area")
    areas = visible_areas(request, user) if user is not None else []
    page = {
        "request": request,
        "user": user,
        "title": title,
        "lang": code,
        "fmt": get_lang(code),
        "other_lang": "en" if code == "es" else "es",
        "lang_url": with_query(request, lang="en" if code == "es" else "es"),
        "csrf_token": csrf_token(request),
        "role_name": ROLE_NAMES.get(user.role, user.role) if user is not None else "",
        "area": area,
        "area_id": area_id,
        "areas": areas,
        "navigation": [
            {
                "path": item.path,
                "label": item.label,
                "url": item.path + (f"?{urlencode({'area': area_id})}" if area_id else ""),
                "active": request.url.path == item.path,
            }
            for item in NAVIGATION
        ],
        **context,
    }
    html = environment(code).get_template(template_name).render(page)
    return HTMLResponse(html, status_code=status_code, headers=PAGE_HEADERS)
