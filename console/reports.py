"""**Reportes de vecinos** (``/reportes?area=``): residents' reports of the area, moderated.

Everyone who may see the area reads its reports (newest first, by moderation state and
service): the service, the street it was matched to, when, the description, the photo and what
operations answered (the plan of that day and the GPS). Contact data (e-mail, phone, name) is
for the area's managers and admins only, who also accept, reject (with a reason), merge a
duplicate into the report it repeats, and mark a report resolved. The steps are the same
functions of ``fleet.reports`` the admin API calls, so both refuse the same things.

Accepted reports are work for the area's next plan job (its ``reports`` option): the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from basuracero.api.ids import RowId
from basuracero.api.report_intake import now_of, refresh, reports_store, settings_of
from basuracero.console.auth import ConsoleUser, PageRefused, PageUser, area_for, csrf_checked
from basuracero.console.pages import N_, catalogue, environment, language, render, translate
from basuracero.fleet.reports import (
    ACCEPTED,
    MERGED,
    NEW,
    OPEN_STATES,
    REJECTED,
    RESOLVED,
    ModerationRefused,
    ReportQuery,
    accept_report,
    merge_report,
    reject_report,
    resolve_report,
)
from basuracero.fleet.store import from_us
from basuracero.maps.i18n import LANGUAGES, get_lang
from basuracero.planning.area import Area

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 20
DEFAULT_FILTER = "nuevos"
# ?estado= (Spanish words in the URL, as the page's other parameters) → moderation states.
FILTERS: dict[str, tuple[str, ...]] = {
    "nuevos": (NEW,),
    "aceptados": (ACCEPTED,),
    "rechazados": (REJECTED,),
    "resueltos": (RESOLVED,),
    "unidos": (MERGED,),
    "todos": (),
}
FILTER_LABELS = {
    "nuevos": N_("Unreviewed"),
    "aceptados": N_("Accepted"),
    "rechazados": N_("Rejected"),
    "resueltos": N_("Resolved"),
    "unidos": N_("Merged"),
    "todos": N_("All"),
}
STATE_LABELS = {
    NEW: N_("new"),
    ACCEPTED: N_("accepted"),
    REJECTED: N_("rejected"),
    MERGED: N_("merged"),
    RESOLVED: N_("resolved"),
}
# Reasons a moderator picks from; the reason is stored in Spanish, the municipality's language.
REJECT_REASONS = {
    "duplicado": N_("Duplicate of another report"),
    "fuera-del-area": N_("Outside the area"),
    "sin-datos": N_("Not enough information to act on it"),
    "no-corresponde": N_("Not a matter of public cleaning"),
    "ofensivo": N_("Offensive or abusive content"),
}
OTHER_REASON = "otro"
DONE_MESSAGES = {
    "aceptado": N_("Report #%(id)s accepted."),
    "rechazado": N_("Report #%(id)s rejected."),
    "unido": N_("Report #%(id)s merged."),
    "resuelto": N_("Report #%(id)s marked resolved."),
}


@dataclass(frozen=True)
class Contact:
    name: str | None
    email: str | None
    phone: str | None


@dataclass(frozen=True)
class Candidate:
    """A report a duplicate may be merged into, as the merge form offers it."""

    id: int
    label: str


@dataclass(frozen=True)
class ReportCard:
    """One report as the page shows it (texts in the page's language, times on the area's clock)."""

    id: int
    state: str
    state_label: str
    service: str
    street: str | None
    address: str | None
    when: str
    when_iso: str
    description: str
    has_photo: bool
    plan_answer: str | None
    status_notes: str | None
    reason: str | None
    merged_into: int | None
    volume_m3: float | None
    contact: Contact | None  # None: not for this user (or none given)
    open: bool
    is_dump: bool  # accepted with the volume seen (default: the area's estimate)
    candidates: tuple[Candidate, ...]


def _service_names(area: Area, lang: str) -> dict[str, str]:
    return {s.code: s.name(lang) for s in settings_of(area).services}


def _dump_codes(area: Area) -> set[str]:
    return {s.code for s in settings_of(area).services if s.kind == "dump"}


def _contact(row: dict[str, Any]) -> Contact | None:
    name = " ".join(p for p in (row["first_name"], row["last_name"]) if p) or None
    if not (name or row["email"] or row["phone"]):
        return None
    return Contact(name, row["email"], row["phone"])


def _candidate(request: Request, row: dict[str, Any], area: Area, *, lang: str) -> Candidate:
    """``#12 · hoy 08:14 · nuevo · Bolsas en la esquina…``: enough to tell the repeated report
    among a few."""
    when = get_lang(lang).when_served(from_us(row["requested_us"]), tz=area.tz)
    state = translate(request, STATE_LABELS.get(row["state"], row["state"]))
    said = " ".join(str(row["description"] or "").split())
    said = said if len(said) <= 40 else said[:39] + "…"
    return Candidate(row["id"], " · ".join(p for p in (f"#{row['id']}", when, state, said) if p))


def _card(
    request: Request,
    row: dict[str, Any],
    area: Area,
    *,
    lang: str,
    moderator: bool,
    duplicates: list[dict[str, Any]],
) -> ReportCard:
    words = get_lang(lang)
    requested = from_us(row["requested_us"])
    names = _service_names(area, lang)
    is_open = row["state"] in OPEN_STATES
    candidates = tuple(_candidate(request, other, area, lang=lang) for other in duplicates)
    return ReportCard(
        id=row["id"],
        state=row["state"],
        state_label=STATE_LABELS.get(row["state"], row["state"]),
        service=names.get(row["service_code"], row["service_code"]),
        street=row["street"],
        address=row["address_string"],
        when=words.when_served(requested, datetime.now(UTC), tz=area.tz),
        when_iso=requested.astimezone(area.tz).isoformat(timespec="minutes"),
        description=row["description"] or "",
        has_photo=bool(row["has_photo"]),
        plan_answer=row["plan_answer"],
        status_notes=row["status_notes"],
        reason=row["reason"] if moderator else None,
        merged_into=row["merged_into"],
        volume_m3=row["volume_m3"],
        contact=_contact(row) if moderator else None,
        open=is_open,
        is_dump=row["service_code"] in _dump_codes(area),
        candidates=candidates,
    )


def _refused_field(request: Request, field: str, value: object, message: str) -> PageRefused:
    """A 422 page naming the field and the value at fault."""
    return PageRefused(422, f"{field} = {value!r}: {translate(request, message)}")


@router.get("/reportes", response_class=HTMLResponse)
def reports_page(
    request: Request,
    user: PageUser,
    area: str | None = Query(None, max_length=64),
    estado: str = Query(DEFAULT_FILTER, max_length=20),
    servicio: str | None = Query(None, max_length=64),
    pagina: int = Query(1, ge=1, le=100_000),
    hecho: str | None = Query(None, max_length=20),
    reporte: int | None = Query(None, ge=1, le=2**62),
) -> HTMLResponse:
    """The area's reports, one page of them, with the moderation forms for its managers."""
    chosen = area_for(request, user, area)
    if estado not in FILTERS:
        raise _refused_field(request, "estado", estado, N_("not a report state of this page"))
    names = _service_names(chosen, language(request))
    if servicio and servicio not in names:
        raise _refused_field(request, "servicio", servicio, N_("not a report service of this area"))
    store = reports_store(request)
    query = ReportQuery(area=chosen.id, states=FILTERS[estado],
                        service_codes=(servicio,) if servicio else (),
                        page=pagina, page_size=PAGE_SIZE, include_hidden=True)  # fmt: skip
    rows, total = store.find(query)
    rows = refresh(request, rows)  # open reports the GPS shows served close first, as in the API
    moderator = user.can_plan(chosen.id)
    lang = language(request)
    counts = store.count_states(chosen.id)
    mergeable = [r for r in rows if r["state"] in OPEN_STATES] if moderator else []
    duplicates = store.duplicates_of(mergeable)
    done = DONE_MESSAGES.get(hecho or "")
    return render(
        request,
        "reportes.html",
        user=user,
        title=translate(request, "Residents' reports"),
        area=chosen,
        reports=[
            _card(
                request,
                r,
                chosen,
                lang=lang,
                moderator=moderator,
                duplicates=duplicates.get(r["id"], []),
            )
            for r in rows
        ],
        total=total,
        page=pagina,
        pages=max(1, -(-total // PAGE_SIZE)),
        estado=estado,
        servicio=servicio or "",
        services=names,
        filters=[
            (key, label, _count(counts, FILTERS[key])) for key, label in FILTER_LABELS.items()
        ],
        moderator=moderator,
        reasons=REJECT_REASONS,
        other_reason=OTHER_REASON,
        done=translate(request, done) % {"id": reporte} if done and reporte else None,
        page_url=lambda **changes: _list_url(
            chosen.id, **({"estado": estado, "servicio": servicio} | changes)
        ),
    )


def _count(counts: dict[str, int], states: tuple[str, ...]) -> int:
    """Reports in these states (none given: all of them)."""
    return sum(n for state, n in counts.items() if not states or state in states)


def _list_url(area_id: str, **params: object) -> str:
    """The list's URL with these parameters (None or empty: left out)."""
    kept = {"area": area_id, **{k: v for k, v in params.items() if v not in (None, "")}}
    return "/reportes?" + urlencode(kept)


@router.get("/reportes/{report_id}/foto", response_class=Response)
def report_photo(report_id: RowId, request: Request, user: PageUser) -> Response:
    """A report's photo for those who may see its area (rejected ones too: the moderator needs
    to see why; the public URL withdraws them)."""
    store = reports_store(request)
    row = store.get(report_id)
    if row is None:
        raise PageRefused(404, translate(request, "No such report."))
    area_for(request, user, row["area"])
    photo = store.photo(report_id)
    if photo is None:
        raise PageRefused(404, translate(request, "This report has no photo."))
    headers = {"Cache-Control": "private, max-age=300", "X-Content-Type-Options": "nosniff"}
    return Response(photo.data, media_type=photo.media_type, headers=headers)


@dataclass(frozen=True)
class BackTo:
    """Where a moderation form returns: the list as it was (filters checked, nothing else)."""

    estado: str
    servicio: str
    pagina: int


def _back(
    estado: str = Form(DEFAULT_FILTER, max_length=20),
    servicio: str = Form("", max_length=64),
    pagina: int = Form(1, ge=1, le=100_000),
) -> BackTo:
    return BackTo(estado if estado in FILTERS else DEFAULT_FILTER, servicio, pagina)


Back = Annotated[BackTo, Depends(_back)]


def _moderate(
    request: Request,
    user: ConsoleUser,
    area_id: str,
    report_id: int,
    back: BackTo,
    done: str,
    step: Any,
    **options: Any,
) -> Response:
    """Run one moderation step of ``fleet.reports`` for a manager of the report's area; back to
    the list with a line saying what was done."""
    area = area_for(request, user, area_id)
    if not user.can_plan(area.id):
        raise PageRefused(
            403, translate(request, "Only a manager or an administrator of this area can moderate.")
        )
    store = reports_store(request)
    row = store.get(report_id)
    if row is None or row["area"] != area.id:
        raise PageRefused(404, translate(request, "No such report in this area."))
    try:
        step(store, report_id, now=now_of(request), **options)
    except ModerationRefused as exc:
        raise PageRefused(exc.status, _refusal(request, exc)) from None
    url = _list_url(area.id, estado=back.estado, servicio=back.servicio, pagina=back.pagina,
                    hecho=done, reporte=report_id)  # fmt: skip
    return RedirectResponse(url, status_code=303)


def _refusal(request: Request, exc: ModerationRefused) -> str:
    if exc.status == 409:
        return translate(request, "Someone moderated this report meanwhile. Reload the page.") + (
            f" ({exc.message})"
        )
    if exc.field == "into":
        return (
            translate(request, "Only a report of the same service, street and day can take it.")
            + f" ({exc.message})"
        )
    return exc.message


_AREA = Form(..., max_length=64)


@router.post("/reportes/{report_id}/aceptar", dependencies=[Depends(csrf_checked)])
def accept(
    report_id: RowId,
    request: Request,
    user: PageUser,
    back: Back,
    area: str = _AREA,
    volumen: str = Form("", max_length=20),
) -> Response:
    """Accept: a missed collection or a dump enters the area's next plan job (a dump with the
    volume seen, when the moderator gives one)."""
    volume = _volume(request, volumen)
    return _moderate(request, user, area, report_id, back, "aceptado", accept_report,
                     volume_m3=volume)  # fmt: skip


def _volume(request: Request, text: str) -> float | None:
    """A dump's volume as typed (``1,5`` or ``1.5`` m³, above 0 and up to 100); blank: None."""
    text = text.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 < value <= 100:  # NaN fails too
        raise _refused_field(request, "volumen", text, N_("a volume in m³ above 0, up to 100"))
    return value


@router.post("/reportes/{report_id}/rechazar", dependencies=[Depends(csrf_checked)])
def reject(
    report_id: RowId,
    request: Request,
    user: PageUser,
    back: Back,
    area: str = _AREA,
    motivo: str = Form("", max_length=40),
    motivo_texto: str = Form("", max_length=500),
) -> Response:
    """Reject with a reason chosen from the list or typed (kept internal, in Spanish)."""
    typed = motivo_texto.strip()
    if typed:
        if len(typed) < 3:
            raise _refused_field(request, "motivo_texto", typed, N_("at least 3 characters"))
        reason = typed
    elif motivo in REJECT_REASONS:
        reason = catalogue("es").gettext(REJECT_REASONS[motivo])
    else:
        raise _refused_field(request, "motivo", motivo, N_("choose a reason or type one"))
    return _moderate(request, user, area, report_id, back, "rechazado", reject_report,
                     reason=reason)  # fmt: skip


@router.post("/reportes/{report_id}/unir", dependencies=[Depends(csrf_checked)])
def merge(
    report_id: RowId,
    request: Request,
    user: PageUser,
    back: Back,
    area: str = _AREA,
    con: int = Form(..., ge=1, le=2**62),
) -> Response:
    """Merge a duplicate into the report it repeats (same service, street and day)."""
    return _moderate(request, user, area, report_id, back, "unido", merge_report, into=con)


@router.post("/reportes/{report_id}/resolver", dependencies=[Depends(csrf_checked)])
def resolve(
    report_id: RowId,
    request: Request,
    user: PageUser,
    back: Back,
    area: str = _AREA,
    nota: str = Form("", max_length=500),
) -> Response:
    """Mark resolved, with a note for the resident (default: resolved by the municipality)."""
    note = nota.strip() or "Resuelto por la municipalidad."
    return _moderate(request, user, area, report_id, back, "resuelto", resolve_report, note=note)


def new_reports(request: Request, user: ConsoleUser | None, area_id: str | None) -> int:
    """New reports of the page's area, for the navigation's badge (0: none, or not the user's
    area). One indexed count per page."""
    if user is None or not area_id or not user.can_see(area_id):
        return 0
    if area_id not in request.app.state.areas:
        return 0
    return reports_store(request).count_new(area_id)


# base.html shows the badge where this global is defined (every language's environment).
for _code in LANGUAGES:
    environment(_code).globals["new_reports"] = new_reports
