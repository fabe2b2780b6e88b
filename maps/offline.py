"""Make a page work offline: inline the vendored assets (``maps/static/``) into its HTML.

``maps`` writes no files; :func:`render_offline_html` returns the page as text
and the caller saves it (``optimiser.pages.save_page``, atomically).
"""

from __future__ import annotations

import base64
import re
from importlib import resources

import folium

from maps.page import STATIC_PREFIX

_SCRIPT_SRC = re.compile(r'<script\b[^>]*\bsrc\s*=\s*["\']([^"\']+)["\'][^>]*>\s*</script>', re.IGNORECASE)
_LINK_HREF = re.compile(r'<link\b[^>]*\bhref\s*=\s*["\']([^"\']+)["\'][^>]*/?>', re.IGNORECASE)
_CSS_URL = re.compile(r"url\((['\"]?)(images/[^)'\"]+)\1\)")
_SOURCE_MAP = re.compile(r"^\s*//# sourceMappingURL=.*$", re.MULTILINE)


class OfflinePageError(ValueError):
    """A page would load a script or stylesheet from outside the file."""


def static_text(relative: str) -> str:
    """Text of a vendored asset, e.g. ``"leaflet/leaflet.js"`` (relative to ``maps/static/``)."""
    return (resources.files("maps") / "static" / relative).read_text(encoding="utf-8")


def static_data_uri(relative: str) -> str:
    """A vendored image as a ``data:`` URI."""
    raw = (resources.files("maps") / "static" / relative).read_bytes()
    kind = "image/png" if relative.endswith(".png") else "application/octet-stream"
    return f"data:{kind};base64,{base64.b64encode(raw).decode('ascii')}"


def external_references(html: str) -> list[str]:
    """Every ``<script src>`` and ``<link href>`` of ``html`` (what a browser would fetch on load)."""
    return [m.group(1) for m in _SCRIPT_SRC.finditer(html)] + [m.group(1) for m in _LINK_HREF.finditer(html)]


def inline_assets(html: str) -> str:
    """Replace references to vendored assets with their content.

    Raises
    ------
    OfflinePageError
        If a script or stylesheet is still loaded from elsewhere (a CDN,
        another file), which would break the page offline.
    """
    html = _SCRIPT_SRC.sub(_inline_script, html)
    html = _LINK_HREF.sub(_inline_style, html)
    remaining = external_references(html)
    if remaining:
        raise OfflinePageError(
            f"the page still loads {remaining}; vendor them into maps/static/ and reference them as "
            f"'{STATIC_PREFIX}<path>', or remove the element that adds them"
        )
    return html


def _inline_script(match: re.Match) -> str:
    src = match.group(1)
    if not src.startswith(STATIC_PREFIX):
        return match.group(0)
    code = _SOURCE_MAP.sub("", static_text(src[len(STATIC_PREFIX) :]))
    return f"<script>{_safe_in_tag(code, 'script')}</script>"


def _inline_style(match: re.Match) -> str:
    href = match.group(1)
    if not href.startswith(STATIC_PREFIX) or "stylesheet" not in match.group(0).lower():
        return match.group(0)
    relative = href[len(STATIC_PREFIX) :]
    folder = relative.rsplit("/", 1)[0] + "/" if "/" in relative else ""
    css = _CSS_URL.sub(lambda m: f'url("{static_data_uri(folder + m.group(2))}")', static_text(relative))
    return f"<style>{_safe_in_tag(css, 'style')}</style>"


def _safe_in_tag(text: str, tag: str) -> str:
    """Keep an inlined asset from closing its own tag early."""
    return re.sub(f"</{tag}", f"<\\\\/{tag}", text, flags=re.IGNORECASE)


def render_offline_html(fmap: folium.Map) -> str:
    """The complete page of ``fmap`` with every vendored asset inlined."""
    return inline_assets(fmap.get_root().render())
