"""The public maps say of each block only what is true of that block, name it so a neighbour
finds it, and say which day (or which days, per waste stream) the truck comes."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

from basuracero.maps.blocks import Block, BlockStatus, served_blocks
from basuracero.maps.coverage_map import Schedule, coverage_features, coverage_map_html, parse_days
from basuracero.maps.day import DayView
from basuracero.maps.i18n import get_lang
from basuracero.maps.week_map import week_blocks, week_coverage_html

NOW = datetime(2026, 9, 24, 15, 0, tzinfo=UTC)  # 10:00 in Lima, on the plan's day
PASSED = datetime(2026, 9, 24, 12, 50, tzinfo=UTC)  # 07:50 in Lima
WeekViews = list[tuple[str, frozenset[int], DayView]]  # the week_views fixture (conftest)
WINDOW = re.compile(r" · \d{1,2}:\d{2}–\d{1,2}:\d{2}( \(\d+\))?$")


def shown(text: str, html: str) -> bool:
    """In the page as HTML, or inside its GeoJSON (where folium writes ASCII JSON escapes)."""
    return text in html or json.dumps(text)[1:-1] in html


def features_by_id(day: DayView, lang: str, **kwargs: Any) -> dict[str, dict[str, Any]]:
    groups = coverage_features(day, get_lang(lang), **kwargs)
    return {f["id"]: f for feats in groups.values() for f in feats}


def crowded_group(day: DayView) -> list[Block]:
    """The largest set of blocks sharing a street name and an hour: what the old map merged."""
    groups: dict[tuple[str, int], list[Block]] = defaultdict(list)
    for block in served_blocks(day):
        if block.name and block.edges:
            groups[(block.name, block.time_s // 3600)].append(block)
    return max(groups.values(), key=len)


def test_each_block_says_only_what_its_own_gps_says(demo_day: DayView) -> None:
    """Five blocks of one street and hour: one served, the others skipped, unknown, pending or
    not reported. Only the served one says "Último paso"."""
    group = crowded_group(demo_day)
    assert len(group) >= 4, [b.id for b in group]
    served, missed, unknown, later, *rest = group
    progress = {
        served.id: BlockStatus.of("served", served_at=PASSED),
        missed.id: BlockStatus.of("missed", rescheduled_for=date(2026, 9, 25)),
        unknown.id: BlockStatus.of("unknown"),
        later.id: BlockStatus.of("pending", eta=datetime(2026, 9, 24, 16, 10, tzinfo=UTC)),
    }
    features = features_by_id(demo_day, "es", progress=progress, now=NOW)
    popup = {block.id: features[block.id]["properties"]["popup"] for block in group}
    assert "Último paso: hoy 07:50" in popup[served.id]
    assert "Hoy no pasó: reprogramado para mañana" in popup[missed.id]
    assert "Sin datos suficientes" in popup[unknown.id]
    assert "Todavía no pasa; se espera hacia las 11:10" in popup[later.id]
    for block in (missed, unknown, later, *rest):
        assert "Último paso" not in popup[block.id], block.id
    assert features[missed.id]["properties"]["status"] == "missed"
    english = features_by_id(demo_day, "en", progress=progress, now=NOW)
    assert "Not collected today: rescheduled for tomorrow" in english[missed.id]["properties"][
        "popup"
    ]


def test_a_state_the_map_does_not_know_is_never_a_pass(demo_day: DayView) -> None:
    block = served_blocks(demo_day)[0]
    found = BlockStatus.of("stale", served_at=PASSED)
    assert found.status == "unknown" and found.served_at is None
    features = features_by_id(demo_day, "es", progress={block.id: found}, now=NOW)
    assert "Sin datos suficientes" in features[block.id]["properties"]["popup"]


def test_a_skip_seen_the_next_day_is_dated() -> None:
    from zoneinfo import ZoneInfo

    from basuracero.maps.blocks import status_text

    es = get_lang("es")
    lima = ZoneInfo("America/Lima")
    missed = BlockStatus.of("missed", rescheduled_for=date(2026, 9, 25))
    next_day = datetime(2026, 9, 25, 15, 0, tzinfo=UTC)
    text = status_text(missed, es, now=next_day, service_date=date(2026, 9, 24), tz=lima)
    assert text == "Ayer no pasó: reprogramado para hoy"


def test_search_labels_name_the_block_and_its_hours(demo_day: DayView) -> None:
    """"Calle 30 de Mayo, entre Calle 2 de Junio y Calle 26 de Julio · 9:00–11:00"."""
    features = features_by_id(demo_day, "es")
    labels = [f["properties"]["search"] for f in features.values()]
    assert len(set(labels)) == len(labels)  # the search keys blocks by label
    assert all(WINDOW.search(label) for label in labels), labels[:5]
    blocks = {b.id: b for b in served_blocks(demo_day)}
    between = [b for b in blocks.values()
               if b.name and all(b.between) and b.between[0] != b.between[1]]  # fmt: skip
    assert len(between) > len(blocks) // 2  # most blocks have a cross street at each end
    for block in between:
        start, end = block.between
        label = features[block.id]["properties"]["search"]
        assert label.startswith(f"{block.name}, entre {start} y {end} · "), label
    assert not any(re.search(r"\(\d{1,2}:\d{2}–", label) for label in labels)  # no "(7:00–9:00)"


def test_a_one_off_plan_says_its_date_and_a_template_its_days(demo_day: DayView) -> None:
    es, en = get_lang("es"), get_lang("en")
    once = coverage_map_html(demo_day, es, Schedule(), tiles="none")
    assert "Jueves 24 de setiembre" in once and "Lunes a sábado" not in once
    assert "Thursday 24 September" in coverage_map_html(demo_day, en, tiles="none")
    template = coverage_map_html(demo_day, es, Schedule(parse_days("lun-sab")), tiles="none")
    assert "Lunes a sábado" in template and "24 de setiembre" not in template


def test_the_weekly_map_lists_every_streams_days(week_views: WeekViews) -> None:
    assert {stream for stream, _, _ in week_views} == {"mixed", "recyclables"}
    blocks = week_blocks(week_views)
    both = [b for b in blocks.values() if {row[0] for row in b.rows} == {"mixed", "recyclables"}]
    assert len(both) > len(blocks) // 2  # the separated recyclables go door to door too
    html = week_coverage_html(week_views, get_lang("es"), tiles="none")
    for text in ("Mixto: Lunes, miércoles y viernes, ", "Mixto: Martes, jueves y sábado, ",
                 "Reciclables: Sábado, ", "Reciclables: Lunes, "):  # fmt: skip
        assert shown(text, html), text
    for legend_row in ("Mixto · Lunes, miércoles y viernes", "Reciclables · Sábado"):
        assert legend_row in html, legend_row
    assert "L.control.layers" in html and "Reciclables" in html  # the stream filter
    assert "mixed" not in re.sub(r"<script.*?</script>", "", html, flags=re.S).lower()
    english = week_coverage_html(week_views, get_lang("en"), tiles="none")
    assert shown("Recyclables: Saturday, ", english)
    assert shown("Mixed: Monday, Wednesday", english)


def test_the_weekly_map_still_takes_untagged_views(demo_day: DayView) -> None:
    """``(days, view)`` pairs (what planning.week passes today) are the mixed stream's."""
    html = week_coverage_html([(parse_days("lun,mie,vie"), demo_day)], get_lang("es"))
    assert shown("Mixto: Lunes, miércoles y viernes, ", html)
