"""The public map "¿Cuándo pasa el camión?": which blocks are served, on which days, at what time.

A neighbour wants one answer: when to put the bags out on *their* block. Each block (a street
served door to door, or the street piece a stop stands on) is one feature, named by its cross
streets, coloured by its two-hour window; a few GeoJSON layers (one per window) keep the page
light however many blocks there are. A search box finds a block by name and opens it. When the
fleet service knows what the trucks did today, each block says what its own GPS evidence shows:
its last pass, that the truck did not come (and whether it is rescheduled), or not enough data.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template
from folium.utilities import JsCode

from basuracero.errors import InputError
from basuracero.maps.basemap import (
    legend,
    new_map,
    osm_attribution,
    render,
    street_background,
    swatch_line,
)
from basuracero.maps.blocks import MISSED, Block, Progress, served_blocks, status_text
from basuracero.maps.blocks import BlockStatus as BlockStatus
from basuracero.maps.blocks import served_edges as served_edges
from basuracero.maps.day import DayView, edge_lonlat
from basuracero.maps.geo import bounds_latlon
from basuracero.maps.i18n import Lang
from basuracero.maps.words import between_text, block_name

WINDOW_S = 2 * 3600  # the truck is expected within this window from the hour it is planned
WINDOW_COLOURS = (
    "#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928", "#a6cee3", "#fb9a99",
)  # fmt: skip
MISSED_DASH = "4 9"  # a skipped block is drawn dashed, in its window's colour
_DAY_WORDS = {
    "lun": 1, "mon": 1, "mar": 2, "tue": 2, "mie": 3, "mié": 3, "wed": 3, "jue": 4, "thu": 4,
    "vie": 5, "fri": 5, "sab": 6, "sáb": 6, "sat": 6, "dom": 7, "sun": 7,
}  # fmt: skip
BLOCK_JS = JsCode("function (feature, layer) { BasuraCero.block(feature, layer); }")


class ScheduleError(InputError):
    """A collection-days text we cannot read."""


def parse_days(text: str) -> frozenset[int]:
    """``lun-sab``, ``lun,mie,vie``, ``mon-fri``, ``1-6``, ``diario``/``daily`` → ISO weekdays."""
    value = text.strip().lower()
    if value in {"diario", "daily", "todos", "all"}:
        return frozenset(range(1, 8))
    days: set[int] = set()
    for part in re.split(r"[,;\s]+", value):
        if not part:
            continue
        ends = [_day_number(p, text) for p in part.split("-")]
        if len(ends) == 1:
            days.add(ends[0])
        elif len(ends) == 2 and ends[0] <= ends[1]:
            days.update(range(ends[0], ends[1] + 1))
        else:
            raise ScheduleError(f"days {text!r}: cannot read {part!r}")
    if not days:
        raise ScheduleError(f"days {text!r}: no day given")
    return frozenset(days)


def _day_number(word: str, text: str) -> int:
    if word.isdigit() and 1 <= int(word) <= 7:
        return int(word)
    number = _DAY_WORDS.get(word[:3])
    if number is None:
        raise ScheduleError(f"days {text!r}: unknown day {word!r} (use lun, mar, ... or 1-7)")
    return number


@dataclass(frozen=True)
class Schedule:
    """Collection days of each route (ISO weekdays): a *template* that repeats every week.

    ``Schedule()`` names no days: the plan is for its own date only, and the map says that date
    ("Martes 1 de diciembre"). ``Schedule(default=...)`` (``basuracero demo --days``) or
    ``by_route`` (the weekly plans) make it a template, and the map says the days instead.
    """

    default: frozenset[int] | None = None
    by_route: Mapping[str, frozenset[int]] = field(default_factory=dict)

    def days(self, vehicle_id: str) -> frozenset[int] | None:
        return self.by_route.get(vehicle_id, self.default)


def when_text(day: DayView, schedule: Schedule, vehicle_id: str, lang: Lang) -> str:
    """The days a route's blocks are served: its weekdays for a template, else the plan's own
    date (a one-off plan is not "Monday to Saturday"); "" when neither is known."""
    days = schedule.days(vehicle_id)
    if days:
        return lang.weekdays(days)
    return lang.day_label(day.date) if day.date is not None else ""


def popup_html(lines: list[tuple[str, str]]) -> str:
    """Popup HTML from (css class, text) lines; the first is the heading. Texts are escaped."""
    body = [
        f'<b>{escape(text)}</b>' if i == 0 else f'<span class="{cls}">{escape(text)}</span>'
        for i, (cls, text) in enumerate(lines) if text
    ]  # fmt: skip
    return '<div class="bc-popup">' + "<br>".join(body) + "</div>"


@dataclass(frozen=True)
class _Page:
    """What every feature of one map needs besides its block."""

    day: DayView
    lang: Lang
    schedule: Schedule
    progress: Progress | None
    now: datetime


def _status(block: Block, page: _Page) -> tuple[str, str]:
    """The block's GPS state and its line of text; ("", "") without progress for it."""
    found = (page.progress or {}).get(block.id)
    if found is None:
        return "", ""
    text = status_text(found, page.lang, now=page.now, service_date=page.day.date, tz=page.day.tz)
    return found.status, text


def _feature(block: Block, page: _Page, when: str, window: int, search: str) -> dict[str, Any]:
    """One block's GeoJSON feature; ``status`` in its properties lets the style dash a skip."""
    lang = page.lang
    hours = lang.window(window, window + WINDOW_S)
    status, status_line = _status(block, page)
    lines = [
        ("", block.name or lang._("Unnamed street")),
        ("bc-between", between_text(block.between, lang)),
        ("bc-when", f"{when}, {hours}" if when else hours),
        (f"bc-status bc-status-{status}", status_line),
    ]
    return {
        "type": "Feature",
        "id": block.id,
        "properties": {
            "id": block.id,
            "status": status,
            "search": search,
            "tip": f"{block.name or lang._('Unnamed street')} · {hours}",
            "popup": popup_html(lines) + report_link(block, page),
        },
        "geometry": {
            "type": "MultiLineString",
            "coordinates": edge_lonlat(page.day.graph, list(block.edges)),
        },
    }


def report_link(block: Block, page: _Page) -> str:
    """The resident's way to say the truck did not come: the report page with the pin on this
    block and the missed-collection service chosen (``/reportar`` of the service)."""
    lines = edge_lonlat(page.day.graph, list(block.edges)[:1])
    if not lines or not lines[0]:
        return ""
    lon, lat = lines[0][len(lines[0]) // 2]
    words = "Truck didn't come? Report it" if page.lang.code == "en" else (
        "¿No pasó el camión? Repórtelo")  # fmt: skip
    href = f"/reportar?lat={lat:.6f}&amp;lon={lon:.6f}&amp;service=recojo-no-realizado"
    return f'<div class="bc-report"><a href="{href}&amp;lang={page.lang.code}">{words}</a></div>'


def unique_labels(labels: list[str]) -> list[str]:
    """The labels with `` (2)``, `` (3)``... added to repeats: the search keys blocks by label."""
    seen: dict[str, int] = defaultdict(int)
    out = []
    for label in labels:
        seen[label] += 1
        out.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return out


def coverage_features(
    day: DayView,
    lang: Lang,
    schedule: Schedule = Schedule(),
    progress: Progress | None = None,
    now: datetime | None = None,
) -> dict[tuple[str, int], list[dict[str, Any]]]:
    """GeoJSON features per (days or date, window start): one MultiLineString per block.

    A block says only what its own progress entry (keyed by its visit id) says: another block
    of the same street and hour being served tells nothing about this one.
    """
    page = _Page(day, lang, schedule, progress, now or datetime.now(UTC))
    blocks = sorted((b for b in served_blocks(day) if b.edges),
                    key=lambda b: (b.time_s // 3600, b.name, b.time_s))  # fmt: skip
    windows = [b.time_s // 3600 * 3600 for b in blocks]
    labels = unique_labels([
        f"{block_name(b.name, b.between, lang)} · {lang.window(w, w + WINDOW_S)}"
        for b, w in zip(blocks, windows, strict=True)
    ])  # fmt: skip
    per_category: dict[tuple[str, int], list[dict[str, Any]]] = defaultdict(list)
    for block, window, label in zip(blocks, windows, labels, strict=True):
        when = when_text(day, schedule, block.vehicle_id, lang)
        per_category[(when, window)].append(_feature(block, page, when, window, label))
    return per_category


def _style(colour: str) -> Any:
    """The window's colour; dashed where the truck did not come, visible without a click."""

    def style(feature: dict[str, Any]) -> dict[str, Any]:
        base = {"color": colour, "weight": 5, "opacity": 0.9}
        if feature["properties"].get("status") == MISSED:
            return {**base, "dashArray": MISSED_DASH, "lineCap": "butt"}
        return base

    return style


def block_layer(features: list[dict[str, Any]], name: str, colour: Any) -> folium.GeoJson:
    """One GeoJSON layer of blocks; ``colour`` is a colour or a style function of a feature.

    Popups, tooltips and the search label are bound by ``BasuraCero.block`` (static JS), not
    by folium: folium binds a popup to the whole layer, so a searched block could not open it.
    """
    style = _style(colour) if isinstance(colour, str) else colour
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": features},
        name=name,
        style_function=style,
        on_each_feature=BLOCK_JS,
        smooth_factor=1.0,
    )


class BlockSearch(JSCSSMixin, MacroElement):
    """Search box over every block's label (leaflet-search, vendored, words translated).

    ``static/basuracero/coverage.js`` ranks the matches (accents and case ignored) and opens
    the block chosen, or the best match when the reader just presses Enter.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {% for group_id, group in this.groups %}
        BasuraCero.group({{ group_id|tojson }}, {{ group.get_name() }});
        {% endfor %}
        var {{ this.get_name() }} = BasuraCero.search(
            {{ this._parent.get_name() }}, {{ this.words|tojson }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        words: dict[str, str],
        static_url: str,
        groups: list[tuple[str, folium.FeatureGroup]] | None = None,
    ) -> None:
        super().__init__()
        self._name = "BlockSearch"
        self.words = words
        self.groups = groups or []
        base = f"{static_url}/leaflet-search/dist"
        self.default_js = [
            ("leaflet_search", f"{base}/leaflet-search.min.js"),
            ("basuracero_coverage", f"{static_url}/basuracero/coverage.js"),
        ]
        self.default_css = [("leaflet_search_css", f"{base}/leaflet-search.min.css")]


def search_words(lang: Lang) -> dict[str, str]:
    return {
        "placeholder": lang._("Search your street..."),
        "not_found": lang._("Street not found"),
        "cancel": lang._("Cancel"),
    }


def dash_swatch() -> str:
    return '<i class="bc-swatch-dash"></i>'


def _legend_rows(
    categories: Mapping[tuple[str, int], list[dict[str, Any]]], lang: Lang
) -> tuple[str, list[tuple[str, str]]]:
    """Legend title and rows; a single set of days (or the date) goes in the title."""
    whens = {when for when, _ in categories}
    title = lang._("Collection days and hours")
    if len(whens) == 1 and next(iter(whens)):
        title = lang._("Collection hours · {when}").format(when=next(iter(whens)))
    rows = []
    for i, (when, window) in enumerate(sorted(categories, key=_order)):
        hours = lang.window(window, window + WINDOW_S)
        label = hours if len(whens) == 1 or not when else f"{when}, {hours}"
        rows.append((swatch_line(WINDOW_COLOURS[i % len(WINDOW_COLOURS)]), label))
    return title, rows


def _order(key: tuple[str, int]) -> tuple[int, str]:
    when, window = key
    return window, when


def _status_rows(
    categories: Mapping[tuple[str, int], list[dict[str, Any]]],
    lang: Lang,
    now: datetime,
    day: DayView,
) -> list[tuple[str, str]]:
    """How skipped blocks are drawn, and how fresh the trucks' GPS is."""
    rows = []
    statuses = {f["properties"]["status"] for feats in categories.values() for f in feats}
    if MISSED in statuses:
        rows.append((dash_swatch(), lang._("The truck did not come")))
    gps = lang._("Truck GPS: {when}").format(when=lang.when_served(now, now, tz=day.tz))
    rows.append(("", gps))
    return rows


def coverage_map(
    day: DayView,
    lang: Lang,
    schedule: Schedule = Schedule(),
    progress: Progress | None = None,
    now: datetime | None = None,
    tiles: str = "osm",
    static_url: str = "static",
) -> folium.Map:
    """The public map; ``progress`` (the fleet service's, per visit id) adds each block's
    "Último paso: hoy 08:14", "Hoy no pasó" or "Sin datos suficientes"."""
    now = now or datetime.now(UTC)
    title = lang._("When does the truck come?")
    fmap = new_map(static_url, tiles, title, attribution=osm_attribution(lang))
    if tiles == "none":
        street_background(day.graph, lang._("Streets")).add_to(fmap)
    served = folium.FeatureGroup(name=escape(lang._("Served streets")), control=False)
    categories = coverage_features(day, lang, schedule, progress, now)
    for i, key in enumerate(sorted(categories, key=_order)):
        colour = WINDOW_COLOURS[i % len(WINDOW_COLOURS)]
        block_layer(categories[key], f"{key[0]} {key[1]}", colour).add_to(served)
    served.add_to(fmap)
    BlockSearch(search_words(lang), static_url).add_to(fmap)
    heading, rows = _legend_rows(categories, lang)
    if progress is not None:
        rows += _status_rows(categories, lang, now, day)
    rows.append((swatch_line("#9e9e9e"), lang._("Not served on this plan")))
    root = fmap.get_root()
    root.html.add_child(legend(heading, rows, "bottomleft"))
    subtitle = lang._("Put your bags out at the start of your street's time window.")
    root.html.add_child(
        Element(f'<div class="bc-title">{escape(title)}<small>{escape(subtitle)}</small></div>')
    )
    fit_blocks(fmap, [f for feats in categories.values() for f in feats])
    return fmap


def fit_blocks(fmap: folium.Map, features: list[dict[str, Any]]) -> None:
    """Frame the map on the blocks drawn."""
    coords = [c for f in features for line in f["geometry"]["coordinates"] for c in line]
    if coords:
        fmap.fit_bounds(bounds_latlon(coords))


def coverage_map_html(
    day: DayView,
    lang: Lang,
    schedule: Schedule = Schedule(),
    progress: Progress | None = None,
    now: datetime | None = None,
    tiles: str = "osm",
    static_url: str = "static",
) -> str:
    fmap = coverage_map(day, lang, schedule, progress, now, tiles, static_url)
    return render(fmap, lang.code)
