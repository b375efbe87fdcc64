"""Names of waste streams and site kinds in the reader's language (shared by maps and sheets)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from basuracero.maps.i18n import Lang

if TYPE_CHECKING:
    from basuracero.maps.day import Place


STREAMS = ("mixed", "recyclables", "organics")  # the order every list of streams follows


def stream_name(stream: str, lang: Lang) -> str:
    """``mixto``, ``reciclables``, ``orgánicos``: plan.json's stream ids are English words, and
    printing them as they are put English into a Spanish sheet or map."""
    names = {
        "mixed": lang._("mixed"),
        "recyclables": lang._("recyclables"),
        "organics": lang._("organics"),
    }
    return names.get(stream, stream)


def stream_title(stream: str, lang: Lang) -> str:
    """The stream's name as a heading or legend entry: ``Mixto``, ``Reciclables``."""
    name = stream_name(stream, lang)
    return name[:1].upper() + name[1:]


def stream_order(stream: str) -> tuple[int, str]:
    """Sort key: mixed, recyclables, organics, then any other stream by name."""
    return (STREAMS.index(stream) if stream in STREAMS else len(STREAMS), stream)


def streams_text(streams: Iterable[str], lang: Lang) -> str:
    """``mixto, reciclables`` in the usual order; ``—`` when there is none."""
    names = [stream_name(s, lang) for s in sorted(set(streams), key=stream_order)]
    return ", ".join(names) or "—"


def site_kind_name(kind: str, lang: Lang) -> str:
    names = {
        "depot": lang._("Depot"),
        "landfill": lang._("Landfill"),
        "transfer": lang._("Transfer station"),
        "recycling": lang._("Recycling centre"),
        "compost": lang._("Composting plant"),
    }
    return names.get(kind, kind)


def street_span(place: Place, lang: Lang) -> str:
    """``Calle 26 de Julio, de Jr. Unión a Calle 7 de Julio``: the street as the crew serves it."""
    street = place.name or lang._("an unnamed street")
    start, end = place.cross_street, place.to_street
    if start and end and start != end:
        return lang._("{street}, from {start} to {end}").format(street=street, start=start, end=end)
    if end:
        return lang._("{street}, towards {end}").format(street=street, end=end)
    if start:
        return lang._("{street}, from {start}").format(street=street, start=start)
    return street


def between_text(between: tuple[str, str], lang: Lang) -> str:
    """``entre Calle 2 de Junio y Calle 26 de Julio``, ``esquina con Jr. Unión`` or ""."""
    start, end = between
    if start and end and start != end:
        return lang._("between {start} and {end}").format(start=start, end=end)
    corner = start or end
    return lang._("corner of {street}").format(street=corner) if corner else ""


def block_name(name: str, between: tuple[str, str], lang: Lang) -> str:
    """``Calle 30 de Mayo, entre Calle 2 de Junio y Calle 26 de Julio``: a block as neighbours
    say it, whichever way the truck drives it."""
    street = name or lang._("Unnamed street")
    where = between_text(between, lang)
    return f"{street}, {where}" if where else street
