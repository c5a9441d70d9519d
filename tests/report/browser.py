"""Opening an HTML report in a real headless Chromium (Debian's `chromium` package).

The browser is driven by Playwright (the `dev` extra) with `executable_path` set to the
system Chromium, so nothing is downloaded (`playwright install` is never needed).

Use:
    from tests.report.browser import open_report, require_chromium

    def test_my_report(tmp_path):
        require_chromium()                  # skips (or fails under COREOPT_REQUIRE_BROWSER=1)
        page, _ = my_report.write(tmp_path)
        seen = open_report(page, tmp_path / "report-screenshot.png")
        assert seen["images"]["loaded"] == seen["images"]["count"] == 2
        assert seen["tables"][0]["headers"] == ["optimizer", "status"]

`open_report` returns a plain dict (see its docstring). `save_screenshot` copies a
screenshot to the folder named by COREOPT_SCREENSHOTS, when that is set.
"""

from __future__ import annotations

import os
import pathlib
import shutil

import pytest

INSTALL = {"chromium": "Debian's 'chromium' package (`make test` does it; by hand, as root: "
                       "apt-get install --no-install-recommends chromium)",
           "playwright": "the 'playwright' Python package (pip install -e '.[dev]'; "
                         "never `playwright install`, the system Chromium is used)"}

# What the page shows, read after the load event (which waits for every image).
_READ_PAGE = """async () => {
  const imgs = Array.from(document.images);
  // decode() settles once the image is decoded or known to be broken.
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  const loaded = i => i.complete && i.naturalWidth > 0 && i.naturalHeight > 0;
  const text = c => c.textContent.trim();
  return {
    title: document.title,
    images: {
      count: imgs.length,
      loaded: imgs.filter(loaded).length,
      broken: imgs.filter(i => !loaded(i)).map(i => i.alt),
      sizes: imgs.map(i => [i.naturalWidth, i.naturalHeight]),
    },
    tables: Array.from(document.querySelectorAll("table")).map(t => ({
      headers: Array.from(t.querySelectorAll("thead th")).map(text),
      rows: t.querySelectorAll("tbody tr").length,
      cells: Array.from(t.querySelectorAll("tbody tr")).map(
        r => Array.from(r.querySelectorAll("td")).map(text)),
    })),
    page_size: [document.documentElement.scrollWidth, document.documentElement.scrollHeight],
  };
}"""


def find_chromium() -> str | None:
    """The path of the system Chromium (`chromium` on PATH, else /usr/bin/chromium), or None."""
    found = shutil.which("chromium")
    if found:
        return found
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else None


def require_chromium() -> str:
    """The Chromium path; where it or Playwright is missing, skips the calling test.

    With COREOPT_REQUIRE_BROWSER=1 (set by `make test`) a missing browser fails instead.
    """
    missing = []
    if find_chromium() is None:
        missing.append("chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright")
    if missing:
        reason = "no " + " and no ".join(missing) + ": install " + "; and ".join(
            INSTALL[m] for m in missing)
        if os.environ.get("COREOPT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"COREOPT_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return find_chromium()


def open_report(html_path, screenshot_path, *, width: int = 1280, height: int = 800,
                timeout_s: float = 30.0) -> dict:
    """Opens `html_path` in headless Chromium and saves a full-page PNG screenshot.

    Nothing leaves the machine: every request other than file: and data: URLs is aborted
    and listed in `external_requests`.

    Args:
        html_path: the HTML file (e.g. the `report.html` from `Report.write`).
        screenshot_path: where the PNG goes (its folder is made).
        width, height: the viewport in CSS pixels (device scale factor 1).
        timeout_s: the longest wait for the page to load.

    Returns:
        {"title": str,
         "images": {"count": int, "loaded": int (complete, naturalWidth > 0),
                    "broken": [alt text of each image that did not load],
                    "sizes": [[naturalWidth, naturalHeight], ...]},
         "tables": [{"headers": [th texts], "rows": int, "cells": [[td texts], ...]}, ...],
         "page_size": [width, height] of the document in CSS pixels,
         "screenshot": pathlib.Path, "external_requests": [urls],
         "errors": [uncaught page errors and console errors]}
    """
    from playwright.sync_api import sync_playwright

    html_path = pathlib.Path(html_path).resolve()
    screenshot_path = pathlib.Path(screenshot_path)
    screenshot_path.parent.mkdir(parents=True, exist_ok=True)
    external, errors = [], []

    def route(r):
        if r.request.url.startswith(("file:", "data:")):
            r.continue_()
        else:
            external.append(r.request.url)
            r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), headless=True,
                                    args=["--disable-dev-shm-usage"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height},
                                    device_scale_factor=1)
            page.route("**/*", route)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.goto(html_path.as_uri(), wait_until="load", timeout=timeout_s * 1000)
            seen = page.evaluate(_READ_PAGE)
            page.screenshot(path=str(screenshot_path), full_page=True, animations="disabled")
        finally:
            browser.close()
    seen.update(screenshot=screenshot_path, external_requests=external, errors=errors)
    return seen


def save_screenshot(path, name: str | None = None):
    """Copies the screenshot `path` into the folder COREOPT_SCREENSHOTS names, if set.

    Returns the copy's path, or None when COREOPT_SCREENSHOTS is not set.
    """
    folder = os.environ.get("COREOPT_SCREENSHOTS")
    if not folder:
        return None
    target = pathlib.Path(folder) / (name or pathlib.Path(path).name)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    return target
