"""Language of everything a driver or citizen reads: gettext catalogues plus Babel formats.

Spanish (Peru) is the default because the people holding the sheets and reading the public map
speak it: Babel gives "setiembre" and 24-hour clocks for ``es_PE``. Every sentence lives in the
catalogues under ``maps/locale`` (msgids in English), never in the code paths that use them.
"""

from __future__ import annotations

import gettext
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from functools import cache
from importlib.resources import files
from pathlib import Path

from babel.dates import format_date, format_datetime, format_time, get_day_names
from babel.lists import format_list
from babel.numbers import format_decimal, format_percent
from jinja2 import Environment, PackageLoader, select_autoescape

from basuracero.errors import InputError

LOCALE_DIR = Path(str(files(__package__).joinpath("locale")))
DOMAIN = "basuracero"
LANGUAGES = {"es": "es_PE", "en": "en"}
ALL_WEEK = frozenset(range(1, 8))


class LanguageError(InputError):
    """A language we have no catalogue for."""


@dataclass(frozen=True)
class Lang:
    """One language: its translations and the locale-aware formats the outputs share."""

    code: str
    locale: str
    translations: gettext.NullTranslations

    def _(self, message: str) -> str:
        return self.translations.gettext(message)

    def n_(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def long_date(self, day: date) -> str:
        """``jueves, 24 de setiembre de 2026`` (es_PE)."""
        return format_date(day, "full", locale=self.locale)

    def day_label(self, day: date, heading: bool = True) -> str:
        """``Martes 1 de diciembre`` / ``Tuesday 1 December``: the one day a plan is for, on the
        public map (no year: neighbours read it on that day or the day before); ``heading=False``
        for inside a sentence (``martes 1 de diciembre``).

        The pattern itself is in the catalogue, because word order and "de" are the language's.
        """
        text = format_date(day, self._("EEEE d MMMM"), locale=self.locale)
        return text[:1].upper() + text[1:] if heading else text

    def clock(self, seconds: int) -> str:
        """Local clock time from seconds after midnight, always 24-hour (``07:05``)."""
        seconds = max(0, int(seconds)) % 86400
        return format_time(time(seconds // 3600, seconds % 3600 // 60), "HH:mm", locale=self.locale)

    def short_clock(self, seconds: int) -> str:
        """``7:00`` without a leading zero, as signs and leaflets print opening hours."""
        seconds = max(0, int(seconds)) % 86400
        return format_time(time(seconds // 3600, seconds % 3600 // 60), "H:mm", locale=self.locale)

    def number(self, value: float, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def percent(self, share: float) -> str:
        """``15 %`` (es-PE) / ``15%`` (en) of a share between 0 and 1."""
        return format_percent(share, locale=self.locale)

    def distance(self, metres: float) -> str:
        """``350 m`` below a kilometre, ``1.2 km`` above: what a driver can judge on the road."""
        if metres < 1000:
            return f"{self.number(round(metres / 10) * 10)} m"
        return f"{self.number(metres / 1000, 1)} km"

    def duration(self, seconds: float) -> str:
        """``3 h 25 min``."""
        minutes = round(seconds / 60)
        return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"

    def weekdays(self, days: frozenset[int]) -> str:
        """ISO weekdays (1 = Monday) in plain words: ``Lunes a sábado``, ``Lunes, miércoles y
        viernes``, ``Todos los días``."""
        if not days:
            return ""
        if days == ALL_WEEK:
            return self._("Every day")
        names = get_day_names("wide", locale=self.locale)
        ordered = sorted(days)
        if len(ordered) >= 3 and ordered == list(range(ordered[0], ordered[-1] + 1)):
            text = self._("{first} to {last}").format(
                first=names[ordered[0] - 1], last=names[ordered[-1] - 1]
            )
        else:
            text = format_list([names[d - 1] for d in ordered], locale=self.locale)
        return text[:1].upper() + text[1:]

    def window(self, start_s: int, end_s: int) -> str:
        """``7:00–9:00``."""
        return f"{self.short_clock(start_s)}–{self.short_clock(end_s)}"

    def when_served(self, moment: datetime, now: datetime | None = None, *, tz: tzinfo) -> str:
        """``hoy 08:14``, ``ayer 17:40`` or ``lunes, 21 sept 08:14`` on the clock of ``tz``.

        ``tz`` is the plan's zone (``DayView.tz``): "today" and the hour are the neighbours'
        own, and there is no default so that no caller falls back to some other city's clock.
        """
        now = (now or datetime.now(UTC)).astimezone(tz)
        local = moment.astimezone(tz)
        clock = format_time(local.time(), "HH:mm", locale=self.locale)
        age_days = (now.date() - local.date()).days
        if age_days == 0:
            return self._("today {time}").format(time=clock)
        if age_days == 1:
            return self._("yesterday {time}").format(time=clock)
        return format_datetime(local, "EEEE d MMM HH:mm", tzinfo=tz, locale=self.locale)


@cache
def get_lang(code: str = "es") -> Lang:
    """The language for ``es`` or ``en``; a missing compiled catalogue is an error, not English."""
    if code not in LANGUAGES:
        raise LanguageError(f"unknown language {code!r}; expected one of {', '.join(LANGUAGES)}")
    translations = gettext.translation(DOMAIN, localedir=LOCALE_DIR, languages=[code])
    return Lang(code, LANGUAGES[code], translations)


def template_environment(
    package: str,
    translations: gettext.NullTranslations,
    *,
    static_url: str | None = None,
) -> Environment:
    """Jinja2 for one package's ``templates/`` in one language: autoescaped HTML and gettext
    ``_`` (sheets, console, transparency page share these settings, so text reads the same);
    ``static(name)`` gives a vendored file's URL when ``static_url`` is set."""
    env = Environment(
        loader=PackageLoader(package, "templates"),
        autoescape=select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(translations, newstyle=True)  # type: ignore[attr-defined]
    if static_url is not None:
        env.globals["static"] = lambda name: f"{static_url}/{name}"
    return env
