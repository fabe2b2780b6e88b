"""Save a map page as one self-contained HTML file, atomically."""

from __future__ import annotations

import logging
from pathlib import Path

import folium

from geodata.atomic import write_text_atomic
from maps.offline import render_offline_html

log = logging.getLogger(__name__)


def save_page(fmap: folium.Map, path: str | Path) -> Path:
    """Write ``fmap`` with every vendored asset inlined to ``path`` (temporary file, then rename).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    target = write_text_atomic(path, render_offline_html(fmap))
    log.debug("wrote %s (%.1f MB)", target, target.stat().st_size / 1e6)
    return target
