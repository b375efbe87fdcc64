"""The public map of a whole week: each block with its collection days and hour, per waste stream.

A household sorts its waste into streams (mixed, recyclables, organics) that are collected on
different days, by different plans. One page answers "when do I put out which bag?": every block
lists each stream's days and hour in its popup, each stream is a layer of its own colour that
the reader can switch off (the stream filter), and the legend names every stream's days.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

import folium
from branca.element import Element

from basuracero.maps.basemap import legend, new_map, osm_attribution, render, street_background
from basuracero.maps.blocks import Block, served_blocks
from basuracero.maps.coverage_map import (
    WINDOW_S,
    BlockSearch,
    block_layer,
    fit_blocks,
    popup_html,
    search_words,
    unique_labels,
)
from basuracero.maps.day import DayView, edge_lonlat
from basuracero.maps.i18n import Lang
from basuracero.maps.words import between_text, block_name, stream_order, stream_title

STREAM_COLOURS = {  # darker first; further day sets of a stream take the lighter shades
    "mixed": ("#5d4037", "#a1887f", "#3e2723"),
    "recyclables": ("#1565c0", "#64b5f6", "#0d47a1"),
    "organics": ("#2e7d32", "#81c784", "#1b5e20"),
}
OTHER_COLOURS = ("#6a3d9a", "#cab2d6", "#b15928")
STREAM_WEIGHTS = (11, 5, 2)  # each stream thinner on top of the one before: all stay visible

StreamViews = Sequence[tuple[str, frozenset[int], DayView] | tuple[frozenset[int], DayView]]


@dataclass
class _WeekBlock:
    """One block of the week and every (stream, days, window start) it is collected on."""

    block: Block
    view: DayView
    label: str = ""
    rows: list[tuple[str, frozenset[int], int]] = field(default_factory=list)


def _tagged(views: StreamViews) -> list[tuple[str, frozenset[int], DayView]]:
    """Views tagged with their stream; an untagged ``(days, view)`` is the mixed stream's (what
    ``planning.week`` passed before it kept every stream's views)."""
    return [item if len(item) == 3 else ("mixed", *item) for item in views]  # type: ignore[misc]


def week_blocks(views: StreamViews) -> dict[str, _WeekBlock]:
    """Blocks of every plan, merged by block (a street's task, else its place): the same block
    in the mixed and the recyclables plans is one block with two rows."""
    merged: dict[str, _WeekBlock] = {}
    for stream, days, view in _tagged(views):
        for block in served_blocks(view):
            if not block.edges:
                continue
            entry = merged.setdefault(block.key, _WeekBlock(block, view))
            row = (stream, days, block.time_s // 3600 * 3600)
            if row not in entry.rows:
                entry.rows.append(row)
    return merged


def _row_text(row: tuple[str, frozenset[int], int], lang: Lang) -> str:
    stream, days, window = row
    when = f"{lang.weekdays(days)}, {lang.window(window, window + WINDOW_S)}"
    return f"{stream_title(stream, lang)}: {when}"


def _feature(entry: _WeekBlock, stream: str, lang: Lang) -> dict[str, Any]:
    block = entry.block
    rows = sorted(entry.rows, key=lambda r: (stream_order(r[0]), min(r[1]), r[2]))
    lines = [("", block.name or lang._("Unnamed street")),
             ("bc-between", between_text(block.between, lang))]  # fmt: skip
    lines += [("bc-stream", _row_text(row, lang)) for row in rows]
    return {
        "type": "Feature",
        "id": f"{stream}:{block.key}",
        "properties": {
            "id": block.key,
            "group": stream,
            "search": entry.label,
            "tip": block.name or lang._("Unnamed street"),
            "popup": popup_html(lines),
        },
        "geometry": {
            "type": "MultiLineString",
            "coordinates": edge_lonlat(entry.view.graph, list(block.edges)),
        },
    }


def _colour(stream: str, index: int) -> str:
    shades = STREAM_COLOURS.get(stream, OTHER_COLOURS)
    return shades[index % len(shades)]


def week_coverage_map(
    views: StreamViews, lang: Lang, tiles: str = "osm", static_url: str = "static"
) -> folium.Map:
    """One page from several plans, each tagged with its stream and the weekdays it runs."""
    if not views:
        raise ValueError("no plan to draw")
    title = lang._("When does the truck come?")
    fmap = new_map(static_url, tiles, title, attribution=osm_attribution(lang))
    first = _tagged(views)[0][2]
    if tiles == "none":
        street_background(first.graph, lang._("Streets")).add_to(fmap)
    blocks = week_blocks(views)
    entries = sorted(blocks.values(), key=lambda e: (e.block.name, e.block.between))
    labels = unique_labels([block_name(e.block.name, e.block.between, lang) for e in entries])
    for entry, label in zip(entries, labels, strict=True):
        entry.label = label
    by_set: dict[tuple[str, frozenset[int]], dict[str, _WeekBlock]] = defaultdict(dict)
    for entry in entries:
        for stream, days, _ in entry.rows:
            by_set[(stream, days)][entry.block.key] = entry
    groups, rows, drawn = _stream_layers(by_set, lang)
    for _, group in groups:
        group.add_to(fmap)
    folium.LayerControl(collapsed=False, position="bottomright").add_to(fmap)
    BlockSearch(search_words(lang), static_url, groups).add_to(fmap)
    root = fmap.get_root()
    root.html.add_child(legend(lang._("Collection days by kind of waste"), rows, "bottomleft"))
    subtitle = lang._("Each block's days and hours for each kind of waste.")
    root.html.add_child(
        Element(f'<div class="bc-title">{escape(title)}<small>{escape(subtitle)}</small></div>')
    )
    fit_blocks(fmap, drawn)
    return fmap


def _stream_layers(
    by_set: dict[tuple[str, frozenset[int]], dict[str, _WeekBlock]], lang: Lang
) -> tuple[list[tuple[str, folium.FeatureGroup]], list[tuple[str, str]], list[dict[str, Any]]]:
    """One switchable layer per stream (a layer of its own colour per set of days inside it),
    the legend rows (``Mixto · Lunes, miércoles y viernes``) and the features drawn."""
    streams = sorted({stream for stream, _ in by_set}, key=stream_order)
    groups: list[tuple[str, folium.FeatureGroup]] = []
    rows: list[tuple[str, str]] = []
    drawn: list[dict[str, Any]] = []
    for rank, stream in enumerate(streams):
        colour = _colour(stream, 0)
        name = f'<span style="color:{colour}">■</span> {escape(stream_title(stream, lang))}'
        group = folium.FeatureGroup(name=name)
        weight = STREAM_WEIGHTS[min(rank, len(STREAM_WEIGHTS) - 1)]
        sets = sorted((days for s, days in by_set if s == stream), key=sorted)
        for index, days in enumerate(sets):
            shade = _colour(stream, index)
            features = [_feature(e, stream, lang) for e in by_set[(stream, days)].values()]
            drawn += features
            style = {"color": shade, "weight": weight, "opacity": 0.9}
            block_layer(features, f"{stream} {sorted(days)}", lambda _, s=style: s).add_to(group)
            swatch = f'<i class="bc-swatch-line" style="background:{shade};height:{weight}px"></i>'
            rows.append((swatch, f"{stream_title(stream, lang)} · {lang.weekdays(days)}"))
        groups.append((stream, group))
    return groups, rows, drawn


def week_coverage_html(
    views: StreamViews, lang: Lang, tiles: str = "osm", static_url: str = "static"
) -> str:
    """The weekly map's page: ``views`` are ``(stream, weekdays, day view)`` of every plan."""
    return render(week_coverage_map(views, lang, tiles, static_url), lang.code)
