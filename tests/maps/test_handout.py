"""The printable report's deployment locations table (hand-built frames, no browser)."""

from __future__ import annotations

import re

from maps.handout import locations_table_html

from .frames import locations, report_data


def _rows(html: str) -> list[list[str]]:
    return [re.findall(r"<t[dh]>(.*?)</t[dh]>", row) for row in re.findall(r"<tr>(.*?)</tr>", html)]


def test_table_of_a_shift_lists_its_locations_by_base_then_most_answered():
    table = _rows(locations_table_html(report_data(), "early"))
    assert table[0] == ["deployment location", "base", "postcode", "Grade 1 a year answered first"]
    assert [row[0] for row in table[1:]] == ["junction near J3", "junction near J1", "junction near J2"]
    assert table[2][1:] == ["Stafford", "ST16 1AA", "120.5"]


def test_table_shows_place_and_ward_when_the_locations_have_them():
    named = locations().assign(place="3.2 km NE of Stafford", ward="Milford (Stafford)", road="A34 (40 m)")
    html = locations_table_html(report_data(locations=named))
    table = _rows(html)
    assert table[0][:5] == ["deployment location", "shift", "place", "ward (local authority)", "main road"]
    assert len(table) == len(named) + 1
    assert all(row[2:5] == ["3.2 km NE of Stafford", "Milford (Stafford)", "A34 (40 m)"] for row in table[1:])
    assert "Main road: the nearest motorway or A-road" in html and "Road: not shown" not in html


def test_table_says_why_there_is_no_road_column():
    assert "Road: not shown" in locations_table_html(report_data(), "early")
