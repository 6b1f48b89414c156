"""Real-browser test of the overfitting lab: train, turn on early stopping, train again, overlay."""

from __future__ import annotations

import re
import time

from tests.browser.conftest import assert_no_exception, shot, wait_ready


def _main(page):  # type: ignore[no-untyped-def]
    return page.locator('[data-testid="stMain"]')


def test_default_overfits_then_early_stopping_run_is_overlaid(server, page):  # type: ignore[no-untyped-def]
    """Play the default to its end, switch on early stopping, play again: both runs overlaid, stop marked."""
    page.goto(server.url + "/overfitting")
    wait_ready(page)
    page.get_by_role("heading", name="Overfitting & regularization").wait_for()
    page.locator(".stPlotlyChart").filter(visible=True).first.wait_for()
    wait_ready(page)
    assert_no_exception(page)
    shot(page, "overfitting-start")

    # 1. The default, live: Play, then wait for the end of its 200 epochs.
    _main(page).get_by_role("button", name=re.compile("Play")).click()
    started = time.perf_counter()
    page.get_by_text("Finished: reached the maximum of 200 epochs").filter(visible=True).first.wait_for(timeout=90_000)
    print(f"200 live epochs (10 per frame) took {time.perf_counter() - started:.1f} s")
    wait_ready(page)
    page.get_by_text("started rising at epoch").filter(visible=True).first.wait_for()
    assert_no_exception(page)
    shot(page, "overfitting-default-trained")

    # 2. Early stopping on (patience 20 on this page), and train again from the same initial weights.
    page.locator('[data-testid="stSidebar"]').get_by_text("Early stopping", exact=True).click()
    wait_ready(page)
    page.locator('[data-testid="stSidebar"]').get_by_text("Restore best weights").click()
    wait_ready(page)
    _main(page).get_by_role("button", name=re.compile("Play")).click()
    page.get_by_text(re.compile(r"Early stopping at epoch \d+")).filter(visible=True).first.wait_for(timeout=90_000)
    wait_ready(page)
    status = page.get_by_text(re.compile(r"Early stopping at epoch \d+")).filter(visible=True).first.inner_text()
    stop_epoch = int(re.search(r"epoch (\d+)", status).group(1))  # type: ignore[union-attr]

    # 3. Both runs are kept and overlaid; the early-stopped run carries its stop marker on the overlay.
    overlay = page.locator(".stPlotlyChart").filter(has_text="no remedy · validation").filter(visible=True).first
    overlay.wait_for()
    overlay.scroll_into_view_if_needed()
    page.wait_for_timeout(500)
    shot(page, "overfitting-overlay")
    assert overlay.get_by_text("early stop p20 restore · validation").count() >= 1
    assert overlay.locator(".textpoint", has_text=f"stop {stop_epoch}").count() >= 1
    # The live chart marks the stop too, and the page says how much the gap narrowed.
    assert page.locator(".stPlotlyChart").get_by_text(f"stop {stop_epoch}").count() >= 2
    page.get_by_text(re.compile("narrowed the final gap")).first.wait_for()
    assert_no_exception(page)
    shot(page, "overfitting-two-runs-overlaid")
