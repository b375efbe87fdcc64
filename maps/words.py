"""Names of waste streams and site kinds in the reader's language (shared by maps and sheets)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from basuracero.maps.i18n import Lang

if TYPE_CHECKING:
    from basuracero.maps.day import Place


def stream_name(stream: str, lang: Lang) -> str:
    names = {
        "mixed": lang._("mixed waste"),
        "recyclables": lang._("recyclables"),
        "organics": lang._("organics"),
    }
    return names.get(stream, stream)


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
