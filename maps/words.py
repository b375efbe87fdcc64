"""Names of waste streams and site kinds in the reader's language (shared by maps and sheets)."""

from __future__ import annotations

from maps.i18n import Lang


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
