"""save_report: one self-contained file, written atomically; CDN references are refused."""

from __future__ import annotations

import pytest

from maps.report import build_report
from maps.save import OfflinePageError, external_references, inline_assets, save_report


def test_saved_page_is_self_contained(data, tmp_path):
    path = save_report(build_report(data), tmp_path / "out" / "report.html")
    html = path.read_text(encoding="utf-8")
    assert external_references(html) == []
    assert "sourceMappingURL" not in html
    assert "url(images/" not in html  # Leaflet's control images are inlined as data URIs
    assert [p.name for p in path.parent.iterdir()] == ["report.html"]


def test_a_failed_render_leaves_no_file(data, tmp_path, monkeypatch):
    fmap = build_report(data)
    target = tmp_path / "report.html"
    target.write_text("old report")

    def broken(self, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(type(fmap.get_root()), "render", broken)
    with pytest.raises(OSError, match="No space left"):
        save_report(fmap, target)
    assert target.read_text() == "old report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


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
