"""Real-browser tests of the home page: the lecture map opens every page."""

from __future__ import annotations

from playground.ui.pages import PAGES
from tests.browser.conftest import assert_no_exception, shot, wait_ready


def test_home_shows_lecture_map_and_opens_every_page(server, page):  # type: ignore[no-untyped-def]
    """Every page of the lecture map opens from the home page with no error."""
    page.goto(server.url)
    wait_ready(page)
    page.get_by_role("heading", name="The lecture map").wait_for()
    page.locator('[data-testid="stPageLink-NavLink"]').nth(len(PAGES) - 1).wait_for()
    page.wait_for_timeout(500)
    assert_no_exception(page)
    shot(page, "home")
    for info in PAGES:
        page.goto(server.url)
        wait_ready(page)
        page.locator('[data-testid="stMain"]').get_by_role("link", name=info.title).click()
        page.wait_for_url(f"**/{info.url_path}*")
        wait_ready(page)
        page.wait_for_timeout(500)
        assert_no_exception(page)
        shot(page, f"home-to-{info.url_path}")
