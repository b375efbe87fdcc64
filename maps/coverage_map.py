"""The public map "¿Cuándo pasa el camión?": which streets are served, on which days, at what time.

A neighbour wants one answer: when to put the bags out. Served streets are grouped by collection
days and a two-hour window and drawn as a few GeoJSON layers (one per group, one feature per street
name), which keeps the page light however many street segments there are. A search box finds a
street by name. When the fleet service knows when a truck last passed, the popups say so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from html import escape

import folium
from branca.element import Element, MacroElement
from folium.elements import JSCSSMixin
from folium.template import Template

from basuracero.errors import InputError
from basuracero.maps.basemap import legend, new_map, render, street_background, swatch_line
from basuracero.maps.day import DayView, RouteView, edge_lonlat, physical_edge
from basuracero.maps.geo import bounds_latlon
from basuracero.maps.i18n import Lang

MON_SAT = frozenset(range(1, 7))
WINDOW_S = 2 * 3600  # the truck is expected within this window from the hour it is planned
WINDOW_COLOURS = (
    "#1f78b4", "#33a02c", "#e31a1c", "#ff7f00", "#6a3d9a", "#b15928", "#a6cee3", "#fb9a99",
)  # fmt: skip
_DAY_WORDS = {
    "lun": 1, "mon": 1, "mar": 2, "tue": 2, "mie": 3, "mié": 3, "wed": 3, "jue": 4, "thu": 4,
    "vie": 5, "fri": 5, "sab": 6, "sáb": 6, "sat": 6, "dom": 7, "sun": 7,
}  # fmt: skip

LastServed = Mapping[int | str, datetime]  # street edge id or street name -> UTC time


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
    """Collection days of each route (ISO weekdays); routes not listed use ``default``.

    Today the plan is one day repeated; a weekly plan fills ``by_route`` per vehicle, or a later
    version keys it by sector, without changing how the map is drawn.
    """

    default: frozenset[int] = MON_SAT
    by_route: Mapping[str, frozenset[int]] = field(default_factory=dict)

    def days(self, vehicle_id: str) -> frozenset[int]:
        return self.by_route.get(vehicle_id, self.default)


@dataclass
class _Served:
    edge: int
    street: str
    vehicle_id: str
    time_s: int


def served_edges(day: DayView) -> dict[int, _Served]:
    """Street segments where a truck collects: each stop's own segment and the streets driven
    between two consecutive stops (not the drives to the landfill). First pass wins."""
    graph = day.graph
    served: dict[int, _Served] = {}

    def mark(edge: int, route: RouteView, time_s: int) -> None:
        key = physical_edge(graph, edge)
        if key not in served or time_s < served[key].time_s:
            served[key] = _Served(key, str(graph.edge_name[key]), route.vehicle_id, time_s)

    for route in day.routes:
        previous = None
        for visit in route.visits:
            if visit.kind == "street" and visit.place is not None and visit.place.edge >= 0:
                mark(visit.place.edge, route, visit.arrival_s)  # door to door: the street itself
            elif visit.kind == "stop" and visit.place is not None:
                if visit.place.edge >= 0:
                    mark(visit.place.edge, route, visit.arrival_s)
                if previous is not None and previous.kind == "stop" and visit.leg_in:
                    middle = (previous.departure_s + visit.arrival_s) // 2
                    for step in visit.leg_in.steps:
                        mark(step.edge, route, middle)
            if visit.kind != "break":
                previous = visit
    return served


def _last_for(
    edges: list[int], street: str, day: DayView, last_served: LastServed | None
) -> datetime | None:
    if not last_served:
        return None
    keys: list[int | str] = [street] if street else []
    for e in edges:
        keys.append(e)
        twin = int(day.graph.edge_reverse[e])
        if twin >= 0:
            keys.append(twin)
    times = [last_served[k] for k in keys if k in last_served]
    return max(times) if times else None


class StreetSearch(JSCSSMixin, MacroElement):
    """Search box over the served streets (leaflet-search, vendored, words translated)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = new L.Control.Search({
            layer: {{ this.layer.get_name() }},
            propertyName: "search",
            initial: false,
            marker: false,
            collapsed: false,
            position: "topleft",
            textPlaceholder: {{ this.words.placeholder|tojson }},
            textErr: {{ this.words.not_found|tojson }},
            textCancel: {{ this.words.cancel|tojson }},
            moveToLocation: function(latlng, title, map) {
                map.fitBounds(latlng.layer.getBounds(), {maxZoom: 18});
            }
        });
        {{ this.get_name() }}.on("search:locationfound", function(e) {
            if (e.layer.getPopup()) { e.layer.openPopup(); }
        });
        {{ this._parent.get_name() }}.addControl({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, layer: folium.FeatureGroup, words: dict[str, str], static_url: str):
        super().__init__()
        self._name = "StreetSearch"
        self.layer = layer
        self.words = words
        base = f"{static_url}/leaflet-search/dist"
        self.default_js = [("leaflet_search", f"{base}/leaflet-search.min.js")]
        self.default_css = [("leaflet_search_css", f"{base}/leaflet-search.min.css")]


def coverage_features(
    day: DayView,
    lang: Lang,
    schedule: Schedule = Schedule(),
    last_served: LastServed | None = None,
    now: datetime | None = None,
) -> dict[tuple[frozenset[int], int], list[dict]]:
    """GeoJSON features per (days, window start): one MultiLineString per street name."""
    groups: dict[tuple[frozenset[int], int, str], list[int]] = defaultdict(list)
    for item in served_edges(day).values():
        window = item.time_s // 3600 * 3600
        groups[(schedule.days(item.vehicle_id), window, item.street)].append(item.edge)
    per_category: dict[tuple[frozenset[int], int], list[dict]] = defaultdict(list)
    names_seen: dict[str, int] = defaultdict(int)
    for _days, _window, street in groups:
        names_seen[street] += 1
    for (days, window, street), edges in sorted(groups.items(), key=lambda kv: kv[0][1:]):
        name = street or lang._("Unnamed street")
        when = f"{lang.weekdays(days)}, {lang.window(window, window + WINDOW_S)}"
        geometry = {"type": "MultiLineString", "coordinates": edge_lonlat(day.graph, edges)}
        last = _last_for(edges, street, day, last_served)
        last_text = (
            lang._("Last pass: {when}").format(when=lang.when_served(last, now, tz=day.tz))
            if last
            else ""
        )
        lines = [f"<b>{escape(name)}</b>", escape(when)]
        if last_text:
            lines.append(escape(last_text))
        hours = lang.window(window, window + WINDOW_S)
        search = name if names_seen[street] == 1 else f"{name} ({hours})"
        per_category[(days, window)].append(
            {
                "type": "Feature",
                "properties": {
                    "street": name,
                    "when": when,
                    "last_served": last_text,
                    "search": search,
                    "popup": '<div class="bc-popup">' + "<br>".join(lines) + "</div>",
                },
                "geometry": geometry,
            }
        )
    return per_category


def coverage_map(
    day: DayView,
    lang: Lang,
    schedule: Schedule = Schedule(),
    last_served: LastServed | None = None,
    now: datetime | None = None,
    tiles: str = "osm",
    static_url: str = "static",
) -> folium.Map:
    """The public map; ``last_served`` (from the fleet service) adds "Último paso: hoy 08:14"."""
    title = lang._("When does the truck come?")
    fmap = new_map(static_url, tiles, title)
    if tiles == "none":
        street_background(day.graph, lang._("Streets")).add_to(fmap)
    served = folium.FeatureGroup(name=escape(lang._("Served streets")), control=False)
    rows: list[tuple[str, str]] = []
    categories = coverage_features(day, lang, schedule, last_served, now)
    for i, ((days, window), features) in enumerate(sorted(categories.items(), key=_order)):
        colour = WINDOW_COLOURS[i % len(WINDOW_COLOURS)]
        label = f"{lang.weekdays(days)}, {lang.window(window, window + WINDOW_S)}"
        folium.GeoJson(
            {"type": "FeatureCollection", "features": features},
            name=f'<span style="color:{colour}">■</span> {escape(label)}',
            style_function=lambda _, c=colour: {"color": c, "weight": 5, "opacity": 0.9},
            highlight_function=lambda _: {"weight": 9},
            popup=folium.GeoJsonPopup(fields=["popup"], labels=False),
            tooltip=folium.GeoJsonTooltip(fields=["street", "when"], labels=False),
            smooth_factor=1.0,
        ).add_to(served)
        rows.append((swatch_line(colour), label))
    served.add_to(fmap)
    StreetSearch(
        served,
        {
            "placeholder": lang._("Search your street..."),
            "not_found": lang._("Street not found"),
            "cancel": lang._("Cancel"),
        },
        static_url,
    ).add_to(fmap)
    rows.append((swatch_line("#9e9e9e"), lang._("Not served on this plan")))
    root = fmap.get_root()
    root.html.add_child(legend(lang._("Collection days and hours"), rows, "bottomleft"))
    subtitle = lang._("Put your bags out at the start of your street's time window.")
    root.html.add_child(
        Element(f'<div class="bc-title">{escape(title)}<small>{escape(subtitle)}</small></div>')
    )
    coords = [c for feats in categories.values() for f in feats
              for line in f["geometry"]["coordinates"] for c in line]  # fmt: skip
    if coords:
        fmap.fit_bounds(bounds_latlon(coords))
    return fmap


def _order(item: tuple[tuple[frozenset[int], int], list[dict]]) -> tuple[int, list[int]]:
    (days, window), _ = item
    return window, sorted(days)


def coverage_map_html(
    day: DayView,
    lang: Lang,
    schedule: Schedule = Schedule(),
    last_served: LastServed | None = None,
    now: datetime | None = None,
    tiles: str = "osm",
    static_url: str = "static",
) -> str:
    fmap = coverage_map(day, lang, schedule, last_served, now, tiles, static_url)
    return render(fmap, lang.code)
