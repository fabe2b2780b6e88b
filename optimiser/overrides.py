"""Scenario variants from the command line, without editing files.

Three kinds of override, applied to the parsed TOML of a scenario before it
is checked (so a bad value gets the same message as in a file):

* ``--add-base "Stafford=ST16 2DQ"`` (or ``"Stafford=392450,323195"``,
  easting,northing): a new base, staffed shift by shift like the smallest
  existing base (fewest units, then locations). Where its cars come from must
  be said, so that "a new base" is never confused with "more cars":
  ``--add-cars`` (extra cars, the total on duty grows) or ``--cars-from
  Hanley,Cannock`` (the cars are moved: each one taken from whichever named
  base has the most cars left in that shift, so the total on duty is
  unchanged). ``--set`` can then change the new base's staffing. The outputs
  say which.
* ``--set KEY=VALUE``: ``bases.NAME.SHIFT.units``, ``bases.NAME.SHIFT.locations``,
  ``bases.NAME.max_travel_min`` (or another base key), or ``SECTION.KEY`` for
  the ``[network]``, ``[demand]``, ``[candidates]``, ``[response]`` and
  ``[solver]`` tables. VALUE is read as a TOML value (``3``, ``1.1``,
  ``true``), or as text when it is not one (``cp-sat``). Setting a shift's
  ``units`` below its ``locations`` (without setting ``locations`` too)
  lowers the locations to the units, since each location holds a car; the
  outputs say so.
* ``--drop-base NAME``.

They are applied in that order: additions, then settings, then removals.
Unknown bases, shifts and keys are reported with the valid names.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from geodata.errors import InputDataError
from optimiser.scenario import SECTIONS, SHIFT_NAMES, Scenario, read_scenario_toml, scenario_from_dict

BASE_KEYS = ("postcode", "easting", "northing", "lon", "lat", "max_travel_min")
STAFFING_KEYS = ("units", "locations")
SOURCE = "command-line overrides"


@dataclass(frozen=True)
class Overrides:
    """The overrides given on the command line, as typed."""

    add_bases: tuple[str, ...] = ()
    sets: tuple[str, ...] = ()
    drop_bases: tuple[str, ...] = ()
    add_cars: bool = False
    cars_from: tuple[str, ...] = ()

    @property
    def empty(self) -> bool:
        """Whether no override was given."""
        return not (self.add_bases or self.sets or self.drop_bases)

    def describe(self) -> str:
        """The overrides as command-line options, in the order they are applied."""
        parts = [f"--add-base {value!r}" for value in self.add_bases]
        if self.add_cars:
            parts.append("--add-cars")
        if self.cars_from:
            parts.append(f"--cars-from {','.join(self.cars_from)!r}")
        parts += [f"--set {value}" for value in self.sets]
        parts += [f"--drop-base {value!r}" for value in self.drop_bases]
        return " ".join(parts)


def apply_overrides(raw: dict[str, Any], overrides: Overrides) -> tuple[dict[str, Any], list[str]]:
    """A copy of the scenario's parsed TOML with ``overrides`` applied.

    Returns
    -------
    tuple
        The new TOML dict, and notes on what was assumed (the staffing given
        to an added base), for the outputs.

    Raises
    ------
    InputDataError
        Listing every override that cannot be applied, with the valid names.
    """
    result = copy.deepcopy(raw)
    result.setdefault("bases", [])
    problems: list[str] = _cars_choice_problems(raw, overrides)
    notes = []
    if not problems:
        for text in overrides.add_bases:
            notes += _add_base(result, text, overrides.cars_from, problems)
    staffing_set: set[tuple[str, str, str]] = set()
    for text in overrides.sets:
        staffing_set |= _set(result, text, problems)
    if not problems:
        notes += _fit_locations_to_units(result, staffing_set)
    for name in overrides.drop_bases:
        _drop_base(result, name, problems)
    if problems:
        raise InputDataError("cannot be applied", source=SOURCE, problems=problems)
    return result, notes


def parse_value(text: str) -> Any:
    """A TOML value (number, boolean, quoted string, array), or the bare text when it is not one."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def _base_names(raw: dict[str, Any]) -> list[str]:
    return [str(base.get("name", "")) for base in raw["bases"] if isinstance(base, dict)]


def _find_base(raw: dict[str, Any], name: str, option: str, problems: list[str]) -> dict[str, Any] | None:
    for base in raw["bases"]:
        if isinstance(base, dict) and base.get("name") == name:
            return base
    problems.append(f"{option}: no base named {name!r}; bases: {', '.join(_base_names(raw)) or 'none'}")
    return None


def _cars_choice_problems(raw: dict[str, Any], overrides: Overrides) -> list[str]:
    """An added base needs ``--add-cars`` or ``--cars-from`` (not both); ``--cars-from`` needs existing bases."""
    if not overrides.add_bases:
        if overrides.add_cars or overrides.cars_from:
            return ["--add-cars and --cars-from say where an added base's cars come from; give --add-base too"]
        return []
    if overrides.add_cars == bool(overrides.cars_from):
        return [
            "--add-base: say where the new base's cars come from: --add-cars (extra cars on duty) or "
            "--cars-from BASE[,BASE...] (cars moved from those bases, the total unchanged), not both"
        ]
    names = _base_names(raw)
    return [
        f"--cars-from: no base named {name!r}; bases: {', '.join(names) or 'none'}"
        for name in overrides.cars_from
        if name not in names
    ]


def _add_base(raw: dict[str, Any], text: str, cars_from: tuple[str, ...], problems: list[str]) -> list[str]:
    option = f"--add-base {text!r}"
    name, separator, location = (part.strip() for part in text.partition("="))
    if not (name and separator and location):
        problems.append(f"{option}: give NAME=POSTCODE or NAME=EASTING,NORTHING, e.g. 'Stafford=ST16 2DQ'")
        return []
    if name in _base_names(raw):
        problems.append(f"{option}: there is already a base named {name!r}; use --set bases.{name}.... to change it")
        return []
    shifts = _smallest_staffing(raw)
    moved = _take_cars(raw, cars_from, shifts, name, problems) if cars_from else []
    raw["bases"].append({"name": name, **_location(location), "shifts": shifts})
    staffing = ", ".join(f"{shift} {s['units']} cars / {s['locations']} locations" for shift, s in shifts.items())
    if not cars_from:
        return [
            f"added base {name} at {location} with extra cars (--add-cars), staffed like the smallest existing "
            f"base unless set: {staffing}; the total on duty grows by these"
        ]
    return [
        f"added base {name} at {location}, staffed like the smallest existing base unless set ({staffing}), with "
        f"cars moved from {', '.join(cars_from)} (--cars-from): {'; '.join(moved)}; the total on duty is unchanged"
    ]


def _take_cars(
    raw: dict[str, Any], donors: tuple[str, ...], shifts: dict[str, dict[str, int]], name: str, problems: list[str]
) -> list[str]:
    """Take each shift's cars of the new base from ``donors``, one at a time from the donor with most left.

    A donor whose cars fall below its deployment locations loses locations too
    (each location holds a car). Returns one note per shift.
    """
    bases = {b["name"]: b for b in raw["bases"] if isinstance(b, dict) and b.get("name") in donors}
    notes = []
    for shift, staffing in shifts.items():
        staff = {d: bases[d].get("shifts", {}).get(shift) for d in donors}
        staff = {d: s for d, s in staff.items() if isinstance(s, dict) and isinstance(s.get("units"), int)}
        available = sum(s["units"] for s in staff.values())
        if available < staffing["units"]:
            problems.append(
                f"--cars-from {','.join(donors)}: {name} needs {staffing['units']} cars in the {shift} shift but "
                f"those bases have {available}; name more bases, or --set bases.{name}.{shift}.units=N after it"
            )
            continue
        taken = dict.fromkeys(staff, 0)
        for _ in range(staffing["units"]):
            donor = max(staff, key=lambda d: staff[d]["units"])  # first named wins a tie
            staff[donor]["units"] -= 1
            staff[donor]["locations"] = min(staff[donor].get("locations", 0), staff[donor]["units"])
            taken[donor] += 1
        notes.append(f"{shift} " + ", ".join(f"{n} from {d}" for d, n in taken.items() if n))
    return notes


def _location(text: str) -> dict[str, Any]:
    easting, comma, northing = text.partition(",")
    if comma:
        try:
            return {"easting": float(easting), "northing": float(northing)}
        except ValueError:
            pass
    return {"postcode": text}


def _smallest_staffing(raw: dict[str, Any]) -> dict[str, dict[str, int]]:
    staffing: dict[str, dict[str, int]] = {}
    for base in raw["bases"]:
        shifts = base.get("shifts", {}) if isinstance(base, dict) else {}
        for shift, value in shifts.items() if isinstance(shifts, dict) else ():
            if not isinstance(value, dict):
                continue
            pair = {key: value.get(key) for key in STAFFING_KEYS}
            if not all(isinstance(v, int) for v in pair.values()):
                continue
            current = staffing.get(shift)
            if current is None or (pair["units"], pair["locations"]) < (current["units"], current["locations"]):
                staffing[shift] = pair
    return staffing


def _fit_locations_to_units(raw: dict[str, Any], staffing_set: set[tuple[str, str, str]]) -> list[str]:
    """Lower locations to units where ``--set`` lowered the units alone; a note for each."""
    notes = []
    for base_name, shift, key in sorted(staffing_set):
        if key != "units" or (base_name, shift, "locations") in staffing_set:
            continue
        base = next(b for b in raw["bases"] if isinstance(b, dict) and b.get("name") == base_name)
        staffing = base["shifts"][shift]
        units, locations = staffing.get("units"), staffing.get("locations")
        if isinstance(units, int) and isinstance(locations, int) and 0 <= units < locations:
            staffing["locations"] = units
            notes.append(
                f"bases.{base_name}.{shift}: deployment locations lowered from {locations} to {units} to match "
                f"the {units} cars set (each location holds a car); --set bases.{base_name}.{shift}.locations=N "
                "to choose"
            )
    return notes


def _set(raw: dict[str, Any], text: str, problems: list[str]) -> set[tuple[str, str, str]]:
    """Apply one ``--set``; returns ``{(base, shift, "units" or "locations")}`` when it set a base's staffing."""
    option = f"--set {text}"
    key, separator, value_text = text.partition("=")
    parts = [part.strip() for part in key.split(".")]
    if not (separator and all(parts) and value_text.strip()):
        problems.append(f"{option}: give KEY=VALUE, e.g. bases.Burton.night.units=3 or response.mobilisation_s=90")
        return set()
    value = parse_value(value_text)
    if parts[0] == "bases":
        return _set_base(raw, parts[1:], value, option, problems)
    elif parts[0] in SECTIONS and len(parts) == 2:
        valid = tuple(f.name for f in fields(SECTIONS[parts[0]]))
        if parts[1] not in valid:
            problems.append(f"{option}: [{parts[0]}] has no key {parts[1]!r}; valid keys: {', '.join(valid)}")
            return set()
        section = raw.setdefault(parts[0], {})
        section[parts[1]] = value
    elif parts == ["description"]:
        raw["description"] = str(value)
    else:
        tables = ", ".join(f"{name}.KEY" for name in SECTIONS)
        problems.append(
            f"{option}: unknown setting {key!r}; valid: bases.NAME.SHIFT.units, bases.NAME.SHIFT.locations, "
            f"bases.NAME.KEY ({', '.join(BASE_KEYS)}), {tables}, description"
        )
    return set()


def _set_base(
    raw: dict[str, Any], parts: list[str], value: Any, option: str, problems: list[str]
) -> set[tuple[str, str, str]]:
    if len(parts) < 2:
        problems.append(f"{option}: name a base and a key, e.g. bases.Burton.night.units=3")
        return set()
    base = _find_base(raw, parts[0], option, problems)
    if base is None:
        return set()
    rest = parts[1:]
    if rest[0] == "shifts":
        rest = rest[1:]
    if len(rest) == 1 and rest[0] in BASE_KEYS:
        base[rest[0]] = value
        return set()
    if len(rest) != 2 or rest[0] not in SHIFT_NAMES or rest[1] not in STAFFING_KEYS:
        problems.append(
            f"{option}: base {parts[0]!r} has no setting {'.'.join(parts[1:])!r}; valid: SHIFT.units or "
            f"SHIFT.locations with SHIFT one of {', '.join(SHIFT_NAMES)}, or one of {', '.join(BASE_KEYS)}"
        )
        return set()
    shifts = base.setdefault("shifts", {})
    if not isinstance(shifts, dict) or not isinstance(shifts.setdefault(rest[0], {}), dict):
        problems.append(f"{option}: base {parts[0]!r} has a malformed [shifts] table in its file")
        return set()
    shifts[rest[0]][rest[1]] = value
    return {(parts[0], rest[0], rest[1])}


def _drop_base(raw: dict[str, Any], name: str, problems: list[str]) -> None:
    base = _find_base(raw, name, f"--drop-base {name!r}", problems)
    if base is None:
        return
    if len(raw["bases"]) == 1:
        problems.append(f"--drop-base {name!r}: it is the only base; a scenario needs at least one")
        return
    raw["bases"].remove(base)


def load_variant(path: str | Path, overrides: Overrides, *, name: str | None = None) -> tuple[Scenario, list[str]]:
    """The scenario in ``path`` with ``overrides`` applied, named ``name`` (default: its name + " variant").

    Returns
    -------
    tuple
        The checked scenario (its ``description`` records the overrides) and the notes of
        :func:`apply_overrides`.
    """
    path = Path(path)
    raw = read_scenario_toml(path)
    changed, notes = apply_overrides(raw, overrides)
    original = str(raw.get("name", path.stem))
    changed["name"] = name or f"{original} variant"
    changed["description"] = f"{original} with {overrides.describe()}"
    scenario = scenario_from_dict(changed, source=f"{path} with {overrides.describe()}", folder=path.parent)
    return scenario, notes
