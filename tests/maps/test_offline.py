"""render_offline_html: one self-contained page; CDN references are refused."""

from __future__ import annotations

import pytest

from maps.offline import OfflinePageError, external_references, inline_assets, render_offline_html
from maps.report import build_report


def test_rendered_page_is_self_contained(data):
    html = render_offline_html(build_report(data))
    assert external_references(html) == []
    assert "sourceMappingURL" not in html
    assert "url(images/" not in html  # Leaflet's control images are inlined as data URIs


def test_cdn_script_is_refused():
    html = '<head><script src="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"></script></head>'
    with pytest.raises(OfflinePageError, match=r"still loads \['https://cdn.jsdelivr.net"):
        inline_assets(html)


def test_vendored_assets_are_inlined():
    html = (
        '<script src="hubplan-static/leaflet/leaflet.js"></script>'
        '<link rel="stylesheet" href="hubplan-static/leaflet/leaflet.css"/>'
    )
    page = inline_assets(html)
    assert external_references(page) == []
    assert page.startswith("<script>") and "data:image/png;base64," in page
