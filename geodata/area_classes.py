"""Urban or rural, per LSOA: the official ONS classification when given, or one derived from the embedded data.

A response standard may set a different target in urban and rural areas
(:mod:`models.standards`). Each of the force's 687 LSOAs (2011) is one or the
other:

* **official**: the ONS Rural-Urban Classification 2011 of LSOAs, as the CSV
  ONS publishes (``LSOA11CD, LSOA11NM, RUC11CD, RUC11``): classes A1-C2
  ("Urban major conurbation" ... "Urban city and town in a sparse setting")
  are urban, D1-F2 ("Rural town and fringe" ... "Rural hamlets and isolated
  dwellings in a sparse setting") rural (:func:`read_ons_classification`);
* **derived** (the default; labelled "derived" wherever it is shown): the
  ONS rule applied to the embedded data (:func:`derive_area_classes`).
  Postcodes (OS Code-Point Open, inside the force area and 20 km around it)
  lying within :attr:`DerivedClassParams.link_m` of each other are joined
  into settlements; each postcode carries its LSOA's 2011 census persons
  shared equally among the LSOA's postcodes; a settlement of at least
  :attr:`DerivedClassParams.urban_min_persons` people is urban, as in the
  ONS definition; an LSOA is urban when most of its people live in urban
  settlements.

Reading files here; the derivation itself is a pure function of two frames.
"""

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

from geodata import embedded
from geodata.errors import InputDataError

log = logging.getLogger(__name__)

URBAN = "urban"
RURAL = "rural"
#: The area classes (the same names as ``models.standards.AREA_CLASSES``).
AREA_CLASSES = (URBAN, RURAL)
#: ``class_source`` of the derived classification.
DERIVED = "derived"
#: The ONS 2011 ten-fold codes and their class.
ONS_CODES = {code: URBAN for code in ("A1", "B1", "C1", "C2")} | {
    code: RURAL for code in ("D1", "D2", "E1", "E2", "F1", "F2")
}
#: Column names accepted for the LSOA code and for the class, as ONS publishes them (case-insensitive).
ONS_CODE_COLUMNS = ("LSOA11CD", "Lower Super Output Area 2011 Code")
ONS_CLASS_COLUMNS = (
    "RUC11CD",
    "RUC11",
    "Rural Urban Classification 2011 code",
    "Rural Urban Classification 2011 (10 fold)",
    "Rural Urban Classification 2011 (2 fold)",
)
LSOA_CODE_PATTERN = re.compile(r"^[EW]01\d{6}$")


@dataclass(frozen=True)
class DerivedClassParams:
    """Assumptions of the derived classification (see the module docstring).

    Attributes
    ----------
    link_m
        Postcodes closer than this are in the same settlement (ONS joins built-up areas within 200 m).
    urban_min_persons
        A settlement of at least this many people is urban (the ONS threshold).
    urban_majority_share
        An LSOA is urban when at least this share of its people live in urban settlements.
    """

    link_m: float = 200.0
    urban_min_persons: float = 10_000.0
    urban_majority_share: float = 0.5

    def describe(self) -> str:
        """The method in one line, for outputs."""
        return (
            f"derived: postcodes within {self.link_m:g} m joined into settlements, urban when a settlement has "
            f">= {self.urban_min_persons:,.0f} people (2011 census persons shared over each LSOA's postcodes) "
            f"and an LSOA when >= {self.urban_majority_share:.0%} of its people live in urban settlements"
        )


@dataclass(frozen=True)
class AreaClassification:
    """Urban or rural for every LSOA of the force area.

    Attributes
    ----------
    classes
        ``{LSOA code: "urban" | "rural"}``.
    source
        ``"derived"``, or the ONS file it was read from (``"ONS RUC 2011: FILE"``).
    method
        How it was made, in one line.
    """

    classes: Mapping[str, str]
    source: str
    method: str

    def __post_init__(self) -> None:
        bad = sorted({c for c in self.classes.values() if c not in AREA_CLASSES})
        if bad:
            raise InputDataError(f"area classes {bad} are not one of {AREA_CLASSES}", source=self.source)
        object.__setattr__(self, "classes", MappingProxyType({str(k): str(v) for k, v in self.classes.items()}))

    def class_of(self, lsoa_codes: np.ndarray | pd.Series) -> np.ndarray:
        """The class of each LSOA code (object array).

        Raises
        ------
        InputDataError
            Naming LSOA codes the classification does not have.
        """
        codes = np.asarray(lsoa_codes, dtype=object)
        missing = sorted({str(c) for c in np.unique(codes)} - set(self.classes))
        if missing:
            raise InputDataError(
                f"has no class for {len(missing)} LSOAs ({', '.join(missing[:5])}...)", source=self.source
            )
        return np.array([self.classes[str(c)] for c in codes], dtype=object)

    def counts(self, lsoas: pd.DataFrame) -> pd.DataFrame:
        """LSOAs and 2011 persons in each class: ``area_class, lsoas, persons, lsoa_share, persons_share``."""
        classes = self.class_of(lsoas["lsoa_code"])
        table = pd.DataFrame({"area_class": classes, "persons": lsoas["persons"].to_numpy(float)})
        grouped = table.groupby("area_class")["persons"].agg(lsoas="size", persons="sum")
        grouped = grouped.reindex(list(AREA_CLASSES), fill_value=0).reset_index()
        grouped["lsoa_share"] = grouped["lsoas"] / grouped["lsoas"].sum()
        grouped["persons_share"] = grouped["persons"] / grouped["persons"].sum()
        return grouped

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict (see :meth:`from_json`)."""
        return {"source": self.source, "method": self.method, "classes": dict(sorted(self.classes.items()))}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> AreaClassification:
        """Read what :meth:`to_json` wrote."""
        return cls(classes=dict(data["classes"]), source=str(data["source"]), method=str(data["method"]))


def derive_area_classes(
    postcodes: pd.DataFrame, lsoas: pd.DataFrame, params: DerivedClassParams = DerivedClassParams()
) -> pd.Series:
    """Urban or rural per LSOA from postcode settlements (the rule in the module docstring).

    Parameters
    ----------
    postcodes
        ``easting, northing`` (BNG metres), ``in_force`` (1 inside the force area) and ``lsoa_code``.
        Postcodes outside the force area carry the force's mean persons per postcode, so a settlement
        running across the boundary counts its people on both sides.
    lsoas
        ``lsoa_code, persons`` (2011 census).

    Returns
    -------
    pandas.Series
        ``"urban"`` or ``"rural"`` indexed by LSOA code, in the order of ``lsoas``.
    """
    inside = postcodes["in_force"].to_numpy() == 1
    persons_by_lsoa = lsoas.set_index("lsoa_code")["persons"].astype(float)
    codes = postcodes.loc[inside, "lsoa_code"]
    per_lsoa = codes.map(codes.value_counts())
    weight = np.zeros(len(postcodes))
    weight[inside] = persons_by_lsoa.reindex(codes).to_numpy() / per_lsoa.to_numpy()
    weight[~inside] = weight[inside].mean() if inside.any() else 0.0
    settlement = _settlements(postcodes[["easting", "northing"]].to_numpy(float), params.link_m)
    settlement_persons = np.bincount(settlement, weights=weight)
    urban = settlement_persons[settlement] >= params.urban_min_persons
    table = pd.DataFrame({"lsoa_code": codes.to_numpy(), "w": weight[inside], "urban_w": (weight * urban)[inside]})
    sums = table.groupby("lsoa_code")[["urban_w", "w"]].sum().reindex(lsoas["lsoa_code"], fill_value=0.0)
    share = np.divide(sums["urban_w"], sums["w"], out=np.zeros(len(sums)), where=sums["w"].to_numpy() > 0)
    classes = np.where(share >= params.urban_majority_share, URBAN, RURAL)
    return pd.Series(classes, index=lsoas["lsoa_code"].to_numpy(), name="area_class")


def _settlements(xy_m: np.ndarray, link_m: float) -> np.ndarray:
    """Settlement label of each point: connected components of the "closer than ``link_m``" graph."""
    pairs = cKDTree(xy_m).query_pairs(link_m, output_type="ndarray")
    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(xy_m), len(xy_m)))
    _, labels = connected_components(graph, directed=False)
    return labels


@lru_cache(maxsize=4)
def derived_classification(params: DerivedClassParams = DerivedClassParams()) -> AreaClassification:
    """The derived classification of the force's LSOAs from the embedded postcodes and census counts."""
    lsoas = embedded.load_lsoas()
    classes = derive_area_classes(embedded.load_postcodes(), lsoas, params)
    result = AreaClassification(classes=classes.to_dict(), source=DERIVED, method=params.describe())
    log.info("area classes (derived): %s", _count_line(result, lsoas))
    return result


def read_ons_classification(path: str | Path, force_lsoas: pd.Series | None = None) -> AreaClassification:
    """Read the ONS Rural-Urban Classification 2011 of LSOAs, as published (CSV).

    Rows of LSOAs outside the force area are ignored; every force LSOA must be present.

    Parameters
    ----------
    path
        The CSV: an LSOA code column (``LSOA11CD``) and a class column (``RUC11CD`` codes A1-F2, or
        ``RUC11`` names beginning "Urban" or "Rural").
    force_lsoas
        The force's LSOA codes (default: the embedded 687).

    Raises
    ------
    InputDataError
        Naming the file, and each row and column at fault: a malformed LSOA code, an unknown class
        (listing the valid ones), an LSOA given twice, force LSOAs missing.
    """
    path = Path(path)
    fieldnames, rows = _read_csv_rows(path)
    header = {name.strip().lower(): name for name in fieldnames}
    code_column = _column(header, ONS_CODE_COLUMNS, path, "the LSOA code")
    class_column = _column(header, ONS_CLASS_COLUMNS, path, "the class")
    classes, problems = _ons_rows(rows, code_column, class_column)
    wanted = embedded.load_lsoas()["lsoa_code"] if force_lsoas is None else force_lsoas
    missing = sorted(set(wanted) - set(classes))
    if missing and len(missing) == len(set(wanted)) and not problems:
        problems.append(
            f"none of the force's {len(missing)} LSOAs (2011 codes such as {missing[0]}) is in the file; "
            "is it the 2011 classification of LSOAs?"
        )
    elif missing:
        problems.append(f"{len(missing)} force LSOAs are missing: {', '.join(missing[:10])}")
    if problems:
        raise InputDataError(
            "is not a usable ONS Rural-Urban Classification 2011 file", source=str(path), problems=problems
        )
    force = {code: classes[code] for code in sorted(set(wanted))}
    return AreaClassification(
        classes=force,
        source=f"ONS RUC 2011: {path.name}",
        method=f"official: ONS Rural-Urban Classification 2011 ({class_column}) read from {path}",
    )


def _read_csv_rows(path: Path) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a CSV (UTF-8 with or without a byte-order mark, or Windows-1252)."""
    if not path.is_file():
        raise InputDataError("no such file; give the ONS Rural-Urban Classification 2011 CSV", source=str(path))
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            with path.open(newline="", encoding=encoding) as handle:
                reader = csv.DictReader(handle)
                rows = list(reader)
                return list(reader.fieldnames or []), rows
        except UnicodeDecodeError:
            continue
    raise InputDataError("is neither UTF-8 nor Windows-1252 text; save it as CSV", source=str(path))


def _column(header: dict[str, str], names: tuple[str, ...], path: Path, what: str) -> str:
    for name in names:
        if name.lower() in header:
            return header[name.lower()]
    raise InputDataError(
        f"has no column for {what}; expected one of {', '.join(names)} (columns found: {', '.join(header.values())})",
        source=str(path),
    )


def _ons_rows(rows: list[dict[str, str]], code_column: str, class_column: str) -> tuple[dict[str, str], list[str]]:
    """``{LSOA: class}`` and the problems of each bad row (line numbers count the header as line 1)."""
    classes: dict[str, str] = {}
    problems: list[str] = []
    for line, row in enumerate(rows, start=2):
        code = (row.get(code_column) or "").strip()
        value = (row.get(class_column) or "").strip()
        if not LSOA_CODE_PATTERN.match(code):
            problems.append(f"line {line}: {code_column} {code!r} is not an LSOA code (E01/W01 and six digits)")
            continue
        area_class = _ons_class(value)
        if area_class is None:
            problems.append(
                f"line {line}: {class_column} {value!r} is not an ONS 2011 class; valid: codes "
                f"{', '.join(ONS_CODES)}, or names beginning 'Urban' or 'Rural'"
            )
        elif code in classes:
            problems.append(f"line {line}: LSOA {code} is given twice")
        else:
            classes[code] = area_class
    return classes, problems


def _ons_class(value: str) -> str | None:
    if value.upper() in ONS_CODES:
        return ONS_CODES[value.upper()]
    first = value.split(" ", 1)[0].lower()
    return first if first in AREA_CLASSES else None


def load_area_classification(source: str, *, folder: Path | None = None) -> AreaClassification:
    """``"derived"`` (the default classification) or the path of an ONS file (relative to ``folder``)."""
    if source == DERIVED:
        return derived_classification()
    path = Path(source)
    if folder is not None and not path.is_absolute() and not path.is_file():
        path = folder / path
    return read_ons_classification(path)


def _count_line(classification: AreaClassification, lsoas: pd.DataFrame) -> str:
    table = classification.counts(lsoas)
    return "; ".join(
        f"{row.area_class} {row.lsoas} LSOAs ({row.lsoa_share:.1%}), "
        f"{row.persons:,.0f} people ({row.persons_share:.1%})"
        for row in table.itertuples()
    )
