"""Small folium elements that need no assets beyond Leaflet itself.

folium's own ``Popup`` parses its HTML with jQuery and its colour maps draw
legends with d3, both fetched from CDNs; these replacements use plain Leaflet
so a report works from one file with no internet.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

import folium
from branca.element import Element, MacroElement
from folium.template import Template

#: Minimum and maximum ``[[lat, lon], [lat, lon]]`` of nothing, as branca reports it.
NO_BOUNDS: list[list[float | None]] = [[None, None], [None, None]]


class RawHtml(Element):
    """Fixed HTML placed in the page body (not parsed as a template, unlike ``branca.element.Element``)."""

    _template = Template("{{ this.html }}")

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "RawHtml"
        self.html = html


class HtmlPopup(MacroElement):
    """A popup with HTML content, bound to its parent marker without jQuery.

    Parameters
    ----------
    html
        Popup content (trusted HTML built by this package; escape user text first).
    max_width_px
        Largest popup width in pixels.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindPopup({{ this.html|tojson }}, {maxWidth: {{ this.max_width_px }}});
        {% endmacro %}
        """
    )

    def __init__(self, html: str, *, max_width_px: int = 320) -> None:
        super().__init__()
        self._name = "HtmlPopup"
        self.html = html
        self.max_width_px = int(max_width_px)


class HtmlTooltip(MacroElement):
    """A hover tooltip with HTML content, bound to its parent marker.

    folium's ``Tooltip`` writes its text into a JavaScript template literal
    unquoted; this one passes it as a JSON string.

    Parameters
    ----------
    html
        Tooltip content (trusted HTML built by this package; escape user text first).
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.bindTooltip({{ this.html|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "HtmlTooltip"
        self.html = html


class HtmlControl(MacroElement):
    """A Leaflet control showing fixed HTML in a corner of the map (panels, legends).

    Parameters
    ----------
    html
        The control's content.
    position
        ``"topleft"``, ``"topright"``, ``"bottomleft"`` or ``"bottomright"``.
    class_name
        CSS class of the control's ``div``.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.control({position: {{ this.position|tojson }}});
            {{ this.get_name() }}.onAdd = function () {
                var div = L.DomUtil.create("div", {{ this.class_name|tojson }});
                div.innerHTML = {{ this.html|tojson }};
                L.DomEvent.disableClickPropagation(div);
                L.DomEvent.disableScrollPropagation(div);
                return div;
            };
            {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str, *, position: str = "bottomright", class_name: str = "hubplan-control") -> None:
        super().__init__()
        self._name = "HtmlControl"
        self.html = html
        self.position = position
        self.class_name = class_name


class PointLayer(folium.map.Layer):
    """Many circle markers drawn on one canvas from a compact row list: the one point layer of every page.

    One ``folium.CircleMarker`` per point would write about 600 bytes of script
    each; this layer writes one array ``[lat, lon, radius_px, value, detail]``
    per point and builds the markers in the browser. A row's *category* is its
    ``value`` when that is text (e.g. a status), else ``""``; it picks the
    marker's style and, with ``tooltips``, its tooltip.

    Parameters
    ----------
    rows
        ``[lat, lon, radius_px, value, detail]`` per point. Graduated demand: ``value`` in incidents
        a year and ``detail`` the response minutes (``None``: unreached). Categorised points:
        ``value`` the category and ``detail`` the popup HTML (already escaped).
    name
        Name in the layer control (HTML; escape user text first).
    styles
        Leaflet path options per category (``color``, ``fillColor``, ``weight``, ...); ``""`` for
        uncategorised rows.
    pane
        Map pane the canvas is drawn in.
    show
        Whether the layer is on when the page opens.
    label
        Graduated demand: tooltip prefix, e.g. ``"Grade 1"``; the tooltip reads
        "label: value a year, response N min".
    tooltips
        Categorised points: tooltip text per category (plain text; escaped here). With it,
        ``detail`` is bound as the popup.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = L.featureGroup();
            (function (group) {
                var pane = {{ this.pane|tojson }};
                var renderer = L.canvas({pane: pane});
                var styles = {{ this.styles|tojson }};
                var label = {{ this.label|tojson }};
                var tooltips = {{ this.tooltips|tojson }};
                {{ this.rows|tojson }}.forEach(function (r) {
                    var category = typeof r[3] === "string" ? r[3] : "";
                    var options = Object.assign({radius: r[2], renderer: renderer, pane: pane}, styles[category]);
                    var marker = L.circleMarker([r[0], r[1]], options);
                    if (tooltips === null) {
                        var time = r[4] === null ? "over 60" : r[4].toFixed(1);
                        marker.bindTooltip(label + ": " + r[3].toFixed(1) + " a year, response " + time + " min");
                    } else {
                        marker.bindTooltip(tooltips[category]).bindPopup(r[4], {maxWidth: 340});
                    }
                    marker.addTo(group);
                });
            })({{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(
        self,
        rows: Sequence[Sequence[Any]],
        *,
        name: str,
        styles: Mapping[str, Mapping[str, object]],
        pane: str,
        show: bool = False,
        label: str = "",
        tooltips: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(name=name, overlay=True, control=True, show=show)
        self._name = "PointLayer"
        self.rows: list[list[Any]] = [list(row) for row in rows]
        self.styles = {category: dict(options) for category, options in styles.items()}
        self.pane = pane
        self.label = label
        self.tooltips = {k: escape(text) for k, text in tooltips.items()} if tooltips is not None else None

    def __len__(self) -> int:
        return len(self.rows)

    def _get_self_bounds(self) -> list[list[float | None]]:
        if not self.rows:
            return NO_BOUNDS
        lats = [float(row[0]) for row in self.rows if row[0] is not None]
        lons = [float(row[1]) for row in self.rows if row[1] is not None]
        return [[min(lats), min(lons)], [max(lats), max(lons)]]


class ShiftSelector(MacroElement):
    """Radio buttons that show one shift's layers at a time.

    Every kind of layer (locations, demand, ...) is one entry of the layer
    control: a group holding the per-shift layers of that kind. Selecting a
    shift puts that shift's layer in each group and takes the others out, so
    a kind ticked in the layer control shows the selected shift.

    Parameters
    ----------
    groups
        ``{kind: {shift: layer}}`` for every layer that exists once per shift; each
        layer's parent is its kind's group (a ``folium.FeatureGroup``).
    shifts
        Shift names in display order; the first is selected when the page opens.
    """

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            (function (map) {
                var groups = {
                {%- for kind, by_shift in this.groups.items() %}
                    {{ kind|tojson }}: {
                    {%- for shift, layer in by_shift.items() %}
                        {{ shift|tojson }}: [{{ layer._parent.get_name() }}, {{ layer.get_name() }}],
                    {%- endfor %}
                    },
                {%- endfor %}
                };
                function showShift(shift) {
                    Object.keys(groups).forEach(function (kind) {
                        var layers = groups[kind];
                        Object.keys(layers).forEach(function (s) {
                            var group = layers[s][0], layer = layers[s][1];
                            if (s === shift) { group.addLayer(layer); } else { group.removeLayer(layer); }
                        });
                    });
                }
                var control = L.control({position: "topleft"});
                control.onAdd = function () {
                    var div = L.DomUtil.create("div", "hubplan-control hubplan-shifts");
                    div.innerHTML = {{ this.html|tojson }};
                    L.DomEvent.disableClickPropagation(div);
                    div.addEventListener("change", function (event) {
                        if (event.target.name === "hubplan-shift") { showShift(event.target.value); }
                    });
                    return div;
                };
                control.addTo(map);
            })({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, groups: Mapping[str, Mapping[str, folium.map.Layer]], shifts: Sequence[str]) -> None:
        super().__init__()
        self._name = "ShiftSelector"
        self.groups = {kind: dict(by_shift) for kind, by_shift in groups.items()}
        self.shifts = tuple(shifts)
        self.html = _shift_radio_html(self.shifts)


def _shift_radio_html(shifts: Sequence[str]) -> str:
    buttons = "".join(
        f'<label><input type="radio" name="hubplan-shift" value="{escape(shift)}"{" checked" if k == 0 else ""}> '
        f"{escape(shift)}</label>"
        for k, shift in enumerate(shifts)
    )
    return f"<strong>Shift</strong>{buttons}"
