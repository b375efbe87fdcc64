"""A folium map that works without internet: local Leaflet, our attribution, chosen tiles.

folium's default page pulls Leaflet, jQuery, Bootstrap and Font Awesome from public CDNs. Our maps
use none of the extras (markers are plain HTML icons), so each map is given only the vendored
Leaflet files, referenced relative to the HTML (``static/...``). ``check_offline`` refuses to write
a page that still points at a remote script or stylesheet.
"""

from __future__ import annotations

import json
import re
from html import escape

import folium
from branca.element import Element, MacroElement
from folium.template import Template

from basuracero.geodata.streets import StreetGraph
from basuracero.maps.day import ATTRIBUTION, edge_lonlat
from basuracero.maps.i18n import Lang

OSM_TILES = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
OSM_ATTRIBUTION = (
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_REMOTE_ASSET = re.compile(
    r"""<(?:script[^>]*\bsrc|link[^>]*\bhref)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE
)


def osm_attribution(lang: Lang | None = None, link: bool = True) -> str:
    """``© colaboradores de OpenStreetMap`` in the reader's language (the OSMF's attribution
    guidelines allow translating it), linked to the copyright page on a map."""
    osm = (
        '<a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a>'
        if link
        else ("OpenStreetMap")
    )
    words = lang._("{osm} contributors") if lang is not None else "{osm} contributors"
    return "© " + words.format(osm=osm)


def data_attribution(attribution: str, lang: Lang) -> str:
    """A plan's data attribution as printed: ours translated, anyone else's as they wrote it."""
    return osm_attribution(lang, link=False) if attribution == ATTRIBUTION else attribution


class OfflineError(RuntimeError):
    """A page would load code or styles from the internet."""


class Attribution(MacroElement):
    """Adds the OpenStreetMap attribution even when no tile layer is shown (our streets are OSM)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.js_text }});
        {% endmacro %}
        """
    )

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text
        self.js_text = _js_string(text)


class PlainPopup(folium.Popup):
    """A popup whose HTML is handed to Leaflet directly: folium's own needs jQuery."""

    _template = Template(
        """
        var {{ this.get_name() }} = L.popup({{ this.options|tojavascript }});
        {{ this.get_name() }}.setContent({{ this.content_js }});
        {{ this._parent.get_name() }}.bindPopup({{ this.get_name() }});
        """
    )

    def __init__(self, html: str, max_width: int = 320) -> None:
        super().__init__(None, max_width=max_width)
        self.content_js = _js_string(html)


def _js_string(text: str) -> str:
    """A JavaScript string literal that stays readable and cannot close the script element."""
    return json.dumps(text, ensure_ascii=False).replace("</", "<\\/")


def new_map(
    static_url: str = "static",
    tiles: str = "osm",
    title: str = "Basura Cero",
    extra_css: tuple[str, ...] = (),
    attribution: str = OSM_ATTRIBUTION,
) -> folium.Map:
    """An empty map wired to local assets; ``tiles`` is ``osm``, ``none`` or a URL template;
    ``attribution`` is HTML (see :func:`osm_attribution`)."""
    # Quarter zoom steps: a district fits a phone's narrow screen instead of a whole level out.
    fmap = folium.Map(
        tiles=None, control_scale=True, prefer_canvas=False, zoom_control=True, zoom_snap=0.25
    )
    fmap.default_js = [("leaflet", f"{static_url}/leaflet/leaflet.js")]
    fmap.default_css = [
        ("leaflet_css", f"{static_url}/leaflet/leaflet.css"),
        ("basuracero_css", f"{static_url}/basuracero/maps.css"),
        *((f"extra_css_{i}", css) for i, css in enumerate(extra_css)),
    ]
    root = fmap.get_root()
    root.header.add_child(Element(f"<title>{escape(title)}</title>"), name="page_title")
    if tiles != "none":
        url = OSM_TILES if tiles == "osm" else tiles
        folium.TileLayer(
            tiles=url, attr=attribution, name="OpenStreetMap", max_zoom=19, control=False
        ).add_to(fmap)
    fmap.add_child(Attribution(attribution))
    return fmap


def street_background(graph: StreetGraph, name: str) -> folium.GeoJson:
    """All drivable streets as one light GeoJSON feature: the map's base when tiles are off."""
    once = graph.physical_edges()
    feature = {
        "type": "Feature",
        "properties": {},
        "geometry": {"type": "MultiLineString", "coordinates": edge_lonlat(graph, once)},
    }
    return folium.GeoJson(
        {"type": "FeatureCollection", "features": [feature]},
        name=name,
        style_function=lambda _: {"color": "#9e9e9e", "weight": 2, "opacity": 0.7},
        interactive=False,
        control=False,
    )


def legend(title: str, rows: list[tuple[str, str]], position: str = "bottomright") -> Element:
    """A fixed HTML legend: ``rows`` are (swatch HTML, label) pairs; labels are escaped."""
    items = "".join(
        f'<div class="bc-legend-row">{swatch}<span>{escape(label)}</span></div>'
        for swatch, label in rows
    )
    html = (
        f'<div class="bc-legend bc-{position}"><div class="bc-legend-title">{escape(title)}</div>'
        f"{items}</div>"
    )
    return Element(html)


def swatch_line(colour: str) -> str:
    return f'<i class="bc-swatch-line" style="background:{colour}"></i>'


def check_offline(html: str) -> str:
    """Return ``html`` unchanged, or raise if it loads any script or stylesheet remotely."""
    found = _REMOTE_ASSET.search(html)
    if found:
        snippet = html[found.start() : found.start() + 120]
        raise OfflineError(f"page loads a remote asset: {snippet}")
    if "$(`" in html:  # folium code that expects jQuery, which we do not ship
        raise OfflineError("page uses jQuery ($), which is not loaded")
    return html


def render(fmap: folium.Map, lang: str = "es") -> str:
    """The page's HTML, in ``lang``, checked to need nothing from the internet."""
    html = fmap.get_root().render().replace("<html>", f'<html lang="{escape(lang)}">', 1)
    return check_offline(html)
