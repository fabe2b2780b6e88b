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


def test_table_flags_locations_outside_the_force_area_and_those_answering_almost_nothing():
    flagged = locations().assign(outside_force_area_m=0.0, grade1_first_response_per_year=50.0)
    flagged.loc[flagged.index[0], "outside_force_area_m"] = 823.4
    flagged.loc[flagged.index[1], "grade1_first_response_per_year"] = 0.4
    html = locations_table_html(report_data(locations=flagged))
    table = _rows(html)
    assert table[0][-1] == "outside force area"
    cells = [cell for row in table[1:] for cell in row]
    assert cells.count("<b>823 m outside</b>") == 1 and cells.count("0.4 <b>(almost none)</b>") == 1
    assert "Outside force area: how far" in html and "&#x27;almost none&#x27;: the location answers first" in html
    clean = locations().assign(outside_force_area_m=0.0, grade1_first_response_per_year=50.0)
    plain = locations_table_html(report_data(locations=clean))
    assert "outside force area" not in plain and "almost none" not in plain


def test_table_marks_a_location_beside_another_bases_location():
    near = locations().assign(nearest_other_base_m=[3000.0, 420.4, 420.4, float("nan"), 9000.0])
    near["nearest_other_base_location"] = ["Burton J3", "Burton J3", "Stafford J2", "", "Stafford J1"]
    html = locations_table_html(report_data(locations=near), "early")
    table = _rows(html)
    assert table[0][-1] == "another base&#x27;s location nearby"
    marked = [row[-1] for row in table[1:]]
    assert sorted(marked) == ["", "<b>Burton J3, 420 m</b>", "<b>Stafford J2, 420 m</b>"]
    assert "Another base&#x27;s location nearby: a location of another base within 500 m" in html
    night = locations_table_html(report_data(locations=near), "night")  # nothing near in this shift
    assert "nearby" not in night
