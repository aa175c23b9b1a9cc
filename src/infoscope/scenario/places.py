"""Places, time zones and web domains of the scenario generator.

Profile locations are free text on every platform: people write a city with its state or
country, a country alone, a joke ("Earth", "🌍") or nothing. `CITIES` lists the city spellings
the generator writes, each with the IANA time zone its inhabitants live in, so that the true
time zone of an account and the one its claimed location implies can be compared. Written for
infoscope from general knowledge (city names, their states and countries, tz database names).
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["City"]


class City(NamedTuple):
    """A way of writing a place in a profile, and the time zone of that place."""

    location: str
    timezone: str


# Time zones in which each language's communities live, with their share of accounts.
TIMEZONES: dict[str, tuple[tuple[str, float], ...]] = {
    "en": (
        ("America/New_York", 0.34),
        ("America/Chicago", 0.18),
        ("America/Denver", 0.05),
        ("America/Los_Angeles", 0.15),
        ("Europe/London", 0.16),
        ("America/Toronto", 0.05),
        ("Australia/Sydney", 0.04),
        ("Asia/Kolkata", 0.03),
    ),
    "ru": (
        ("Europe/Moscow", 0.62),
        ("Asia/Yekaterinburg", 0.08),
        ("Asia/Novosibirsk", 0.07),
        ("Asia/Vladivostok", 0.03),
        ("Europe/Minsk", 0.06),
        ("Asia/Almaty", 0.04),
        ("Europe/Riga", 0.03),
        ("Europe/Berlin", 0.07),
    ),
    "de": (
        ("Europe/Berlin", 0.78),
        ("Europe/Vienna", 0.12),
        ("Europe/Zurich", 0.10),
    ),
}

CITIES: tuple[City, ...] = (
    City("New York, NY", "America/New_York"),
    City("NYC", "America/New_York"),
    City("Brooklyn, NY", "America/New_York"),
    City("Boston, MA", "America/New_York"),
    City("Philadelphia, PA", "America/New_York"),
    City("Atlanta, GA", "America/New_York"),
    City("Miami, FL", "America/New_York"),
    City("Washington, DC", "America/New_York"),
    City("Cleveland, Ohio", "America/New_York"),
    City("Charlotte, NC", "America/New_York"),
    City("Chicago, IL", "America/Chicago"),
    City("Houston, TX", "America/Chicago"),
    City("Dallas, Texas", "America/Chicago"),
    City("Nashville, TN", "America/Chicago"),
    City("New Orleans, LA", "America/Chicago"),
    City("Kansas City, MO", "America/Chicago"),
    City("Minneapolis, MN", "America/Chicago"),
    City("Denver, CO", "America/Denver"),
    City("Salt Lake City, UT", "America/Denver"),
    City("Los Angeles, CA", "America/Los_Angeles"),
    City("San Francisco, CA", "America/Los_Angeles"),
    City("Seattle, WA", "America/Los_Angeles"),
    City("Portland, OR", "America/Los_Angeles"),
    City("San Diego, California", "America/Los_Angeles"),
    City("London, England", "Europe/London"),
    City("London, UK", "Europe/London"),
    City("Manchester, England", "Europe/London"),
    City("Glasgow, Scotland", "Europe/London"),
    City("Bristol, UK", "Europe/London"),
    City("Toronto, Ontario", "America/Toronto"),
    City("Ottawa, Canada", "America/Toronto"),
    City("Sydney, Australia", "Australia/Sydney"),
    City("Melbourne, Victoria", "Australia/Sydney"),
    City("Mumbai, India", "Asia/Kolkata"),
    City("Bangalore, India", "Asia/Kolkata"),
    City("Москва", "Europe/Moscow"),
    City("Moscow, Russia", "Europe/Moscow"),
    City("Москва, Россия", "Europe/Moscow"),
    City("Санкт-Петербург", "Europe/Moscow"),
    City("Питер", "Europe/Moscow"),
    City("Saint Petersburg, Russia", "Europe/Moscow"),
    City("Казань", "Europe/Moscow"),
    City("Краснодар", "Europe/Moscow"),
    City("Нижний Новгород", "Europe/Moscow"),
    City("Ростов-на-Дону", "Europe/Moscow"),
    City("Екатеринбург", "Asia/Yekaterinburg"),
    City("Челябинск", "Asia/Yekaterinburg"),
    City("Новосибирск", "Asia/Novosibirsk"),
    City("Novosibirsk, Russia", "Asia/Novosibirsk"),
    City("Владивосток", "Asia/Vladivostok"),
    City("Минск, Беларусь", "Europe/Minsk"),
    City("Minsk, Belarus", "Europe/Minsk"),
    City("Алматы", "Asia/Almaty"),
    City("Almaty, Kazakhstan", "Asia/Almaty"),
    City("Рига", "Europe/Riga"),
    City("Riga, Latvia", "Europe/Riga"),
    City("Berlin, Deutschland", "Europe/Berlin"),
    City("Berlin, Germany", "Europe/Berlin"),
    City("Берлин", "Europe/Berlin"),
    City("München", "Europe/Berlin"),
    City("Hamburg, Germany", "Europe/Berlin"),
    City("Köln", "Europe/Berlin"),
    City("Frankfurt am Main", "Europe/Berlin"),
    City("Leipzig, Sachsen", "Europe/Berlin"),
    City("Wien, Österreich", "Europe/Vienna"),
    City("Vienna, Austria", "Europe/Vienna"),
    City("Graz", "Europe/Vienna"),
    City("Zürich, Schweiz", "Europe/Zurich"),
    City("Basel", "Europe/Zurich"),
    City("Tehran, Iran", "Asia/Tehran"),
    City("Beijing, China", "Asia/Shanghai"),
)

# A country alone, by the language of the account, and the time zone it suggests.
COUNTRIES: dict[str, tuple[City, ...]] = {
    "en": (
        City("USA", "America/New_York"),
        City("United States", "America/New_York"),
        City("Texas, USA", "America/Chicago"),
        City("California", "America/Los_Angeles"),
        City("England, United Kingdom", "Europe/London"),
        City("Canada", "America/Toronto"),
        City("Australia", "Australia/Sydney"),
    ),
    "ru": (
        City("Россия", "Europe/Moscow"),
        City("Russia", "Europe/Moscow"),
        City("РФ", "Europe/Moscow"),
        City("Беларусь", "Europe/Minsk"),
        City("Казахстан", "Asia/Almaty"),
    ),
    "de": (
        City("Deutschland", "Europe/Berlin"),
        City("Germany", "Europe/Berlin"),
        City("Österreich", "Europe/Vienna"),
        City("Schweiz", "Europe/Zurich"),
    ),
}

# Locations that say nothing about where the account is.
JUNK_LOCATIONS: tuple[str, ...] = (
    "Earth",
    "Planet Earth",
    "🌍",
    "🌎",
    "Worldwide",
    "Everywhere",
    "somewhere",
    "in my head",
    "The Internet",
    "127.0.0.1",
    "Земля",
    "где-то",
    "Третья планета от Солнца",
    "Überall",
    "🏠",
    "Narnia",
    "wherever you are",
    "she/her",
)

# Home time zones of operations, cycled through when the configuration names none.
OPERATION_TIMEZONES: tuple[str, ...] = ("Europe/Moscow", "Asia/Tehran", "Asia/Shanghai")

# Sites that organic posts link to, per language: (host, URL pattern).
# Patterns: "slug" -> /yyyy/mm/dd/words-words, "num" -> /yyyymmdd/123456789.html,
# "video" -> /watch?v=ID, "post" -> /name/123.
ORGANIC_SITES: dict[str, tuple[tuple[str, str], ...]] = {
    "en": (
        ("https://www.nytimes.com", "slug"),
        ("https://www.bbc.co.uk/news", "num"),
        ("https://www.theguardian.com", "slug"),
        ("https://www.reuters.com/world", "slug"),
        ("https://apnews.com/article", "slug"),
        ("https://www.washingtonpost.com", "slug"),
        ("https://edition.cnn.com", "slug"),
        ("https://www.foxnews.com", "slug"),
        ("https://www.npr.org", "slug"),
        ("https://medium.com", "post"),
        ("https://www.youtube.com", "video"),
        ("https://www.instagram.com/p", "post"),
    ),
    "ru": (
        ("https://lenta.ru/news", "slug"),
        ("https://ria.ru", "num"),
        ("https://meduza.io/news", "slug"),
        ("https://www.rbc.ru/politics", "num"),
        ("https://www.kommersant.ru/doc", "num"),
        ("https://tass.ru/obschestvo", "num"),
        ("https://t.me", "post"),
        ("https://vk.com/wall", "post"),
        ("https://www.youtube.com", "video"),
    ),
    "de": (
        ("https://www.spiegel.de/politik", "slug"),
        ("https://www.zeit.de", "slug"),
        ("https://www.faz.net/aktuell", "num"),
        ("https://www.sueddeutsche.de", "slug"),
        ("https://www.tagesschau.de/inland", "num"),
        ("https://www.youtube.com", "video"),
    ),
}

# Top-level domains of the sites an operation sets up.
OPERATION_TLDS: tuple[str, ...] = ("com", "net", "org", "info", "news", "online", "press")
