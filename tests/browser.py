"""Shared set-up of the headless-browser tests: Debian's chromium through Playwright, network off.

Playwright never downloads a browser here; it drives ``/usr/bin/chromium``
(``make test`` installs it when missing). Tests that need it are marked
``@pytest.mark.browser`` and call :func:`require_chromium` first.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def require_chromium() -> None:
    """Skip the calling test when Debian's chromium is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium is not installed at /usr/bin/chromium (apt-get install chromium)")


def watch(page) -> dict:
    """Record the page's console errors, uncaught exceptions and requests that leave the file.

    Returns
    -------
    dict
        ``{"errors": [...], "outside_requests": [...]}``, filled in as the page runs.
    """
    seen: dict = {"errors": [], "outside_requests": []}
    page.on("console", lambda message: seen["errors"].append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.on(
        "request",
        lambda request: (
            None if request.url.startswith(("file:", "data:")) else seen["outside_requests"].append(request.url)
        ),
    )
    return seen


@contextmanager
def offline_page(path: Path, *, width: int = 1280, height: int = 720) -> Iterator[tuple[object, dict]]:
    """Open ``path`` in headless chromium, network off, at ``width`` x ``height``; yields ``(page, seen)``.

    ``seen`` is :func:`watch`'s record. Skips the test when chromium is not installed.
    """
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            context = browser.new_context(viewport={"width": width, "height": height}, offline=True)
            page = context.new_page()
            seen = watch(page)
            page.goto(path.resolve().as_uri(), wait_until="load")
            yield page, seen
            context.close()
        finally:
            browser.close()
