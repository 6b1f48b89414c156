"""Real-browser tests of the network playground: live training, Pause, shared links, clicked points.

Prints what it measures (first paint, boundary redraws per second reaching the
browser, epochs per second, seconds to 0.95 validation accuracy on xor); the
numbers are reported, not asserted, since other work shares the machine.
"""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.browser.conftest import assert_no_exception, shot, wait_ready

BOUNDARY = ".st-key-pgchart_boundary .js-plotly-plot"  # paused: the interactive chart
LIVE = ".st-key-pgchart_live img"  # playing: a picture swapped in place every frame
# Count distinct boundary pictures the browser has loaded and shown.
COUNT_REDRAWS = """(ms) => new Promise(done => {
  const seen = new Set(); const start = performance.now();
  function tick() {
    for (const img of document.querySelectorAll('.st-key-pgchart_live img')) {
      if (img.complete && img.naturalWidth > 0) seen.add(img.src);
    }
    if (performance.now() - start < ms) requestAnimationFrame(tick); else done([...seen]);
  }
  tick();
})"""


def epoch_now(page) -> int:  # type: ignore[no-untyped-def]
    text = (
        page.locator('[data-testid="stMarkdownContainer"] h4')
        .filter(has_text=re.compile(r"^Epoch \d+$"))
        .filter(visible=True)
        .first.inner_text()
    )
    return int(text.split()[1])


def val_accuracy(page) -> float:  # type: ignore[no-untyped-def]
    words = (
        page.locator('[data-testid="stMarkdownContainer"]').filter(has_text="validation accuracy").filter(visible=True)
    )
    if words.count() == 0:
        return 0.0
    found = re.findall(r"validation accuracy ([\d.]+)%", words.first.inner_text())
    return float(found[-1]) / 100 if found else 0.0


def boundary_picture(page, selector: str) -> bytes:  # type: ignore[no-untyped-def]
    """A screenshot of the boundary's area."""
    box = page.locator(selector).filter(visible=True).first.bounding_box()
    return bytes(page.screenshot(clip=box))


def open_playground(page, server, query: str = "") -> float:  # type: ignore[no-untyped-def]
    """Open the page; returns seconds until the epoch counter and the boundary are drawn."""
    start = time.perf_counter()
    page.goto(f"{server.url}/playground" + (f"?{query}" if query else ""))
    page.get_by_text("Epoch 0").filter(visible=True).first.wait_for()
    page.locator(
        BOUNDARY if "custom" not in query else '[class*="st-key-pgchart_click"] .js-plotly-plot'
    ).first.wait_for()
    seconds = time.perf_counter() - start
    wait_ready(page)
    return seconds


@pytest.mark.slow  # 20-50 s: it trains xor to 0.95 in the browser and measures the frame rate
def test_play_trains_live_pause_stops_and_xor_is_learned(server, page):  # type: ignore[no-untyped-def]
    """Play: the epoch counter and the boundary move; Pause: they stop; xor passes 0.95 within 20 s."""
    open_playground(page, server, "dataset=xor")  # the first visit imports torch
    paint = open_playground(page, server, "dataset=xor")
    assert_no_exception(page)
    shot(page, "playground-start")
    before = boundary_picture(page, BOUNDARY)

    page.get_by_role("button", name="Play", exact=True).click()
    started = time.perf_counter()
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    reached = None
    while time.perf_counter() - started < 30:
        if val_accuracy(page) > 0.95:
            reached = time.perf_counter() - started
            break
        page.wait_for_timeout(100)
    first_epoch = epoch_now(page)
    first_picture = boundary_picture(page, LIVE)
    seconds = 5.0
    pictures = page.evaluate(COUNT_REDRAWS, seconds * 1000)
    redraws = len(pictures) / seconds
    epochs_per_second = (epoch_now(page) - first_epoch) / seconds
    assert epoch_now(page) > first_epoch > 0
    assert len(pictures) >= 2, pictures  # the boundary was redrawn while training
    assert boundary_picture(page, LIVE) != first_picture
    shot(page, "playground-playing")
    print(
        f"\nplayground: first paint {paint:.2f} s; {redraws:.1f} boundary redraws/s; "
        f"{epochs_per_second:.0f} epochs/s; xor val acc > 0.95 {reached and round(reached, 1)} s after Play"
    )
    assert reached is not None and reached < 20, f"validation accuracy {val_accuracy(page)} after 30 s"

    page.get_by_role("button", name="Pause", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    page.locator(BOUNDARY).first.wait_for()
    wait_ready(page)
    stopped, still = epoch_now(page), boundary_picture(page, BOUNDARY)
    page.wait_for_timeout(1500)
    assert epoch_now(page) == stopped and boundary_picture(page, BOUNDARY) == still
    assert still != before  # the trained boundary differs from the initial one
    assert page.locator(LIVE).count() == 0
    assert_no_exception(page)
    shot(page, "playground-paused")


def test_step_and_reset_while_playing_stop_the_animation(server, page):  # type: ignore[no-untyped-def]
    """Play reruns only the live part of the page; Step and Reset while playing pause it, and nothing keeps ticking."""
    open_playground(page, server, "dataset=xor")
    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    page.locator(LIVE).first.wait_for()
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    page.locator(BOUNDARY).first.wait_for()
    wait_ready(page)
    stepped = epoch_now(page)
    page.wait_for_timeout(1500)
    assert epoch_now(page) == stepped > 1 and page.locator(LIVE).count() == 0

    page.get_by_role("button", name="Play", exact=True).click()
    page.get_by_role("button", name="Pause", exact=True).wait_for()
    page.wait_for_timeout(800)
    page.get_by_role("button", name="Reset", exact=True).click()
    page.get_by_role("button", name="Play", exact=True).wait_for()
    page.get_by_text("Epoch 0").filter(visible=True).first.wait_for()
    wait_ready(page)
    page.wait_for_timeout(1500)
    assert epoch_now(page) == 0 and page.locator(LIVE).count() == 0
    assert_no_exception(page)


def test_shared_link_opens_its_settings(server, page):  # type: ignore[no-untyped-def]
    """A link with the spiral preset's settings shows them in the sidebar and on the diagram."""
    query = "dataset=spiral&hidden=8,8,6&activation=tanh&features=x1,x2,sin_x1,sin_x2&optimizer=adam&lr=0.01&noise=10"
    open_playground(page, server, query)
    assert page.locator(".st-key-pg_dataset input").input_value() == "Spiral"
    assert page.locator(".st-key-pg_optimizer input").input_value() == "adam"
    assert page.locator(".st-key-pg_layers input").input_value() == "3"
    assert page.locator(".st-key-pg_width_2 input").input_value() == "6"
    assert page.locator(".st-key-pg_feat_sin_x1 input").is_checked()
    assert not page.locator(".st-key-pg_feat_x1_sq input").is_checked()
    assert "0.01" in page.locator(".st-key-pg_lr").inner_text()
    assert "Layer 3" in page.locator(".st-key-pgchart_network").inner_text()
    assert_no_exception(page)
    shot(page, "playground-link-spiral")
    # A bad value in a link: a notice, and the page still trains.
    open_playground(page, server, "lr=-1&hidden=abc")
    assert page.get_by_text(re.compile("lr: got -1")).count() >= 1
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Epoch 1").filter(visible=True).first.wait_for()
    shot(page, "playground-bad-link")


def test_clicks_add_points_then_they_train(server, page):  # type: ignore[no-untyped-def]
    """On your own data, clicks on empty plot space add points of the chosen class; then Step trains."""
    open_playground(page, server, "dataset=custom")
    box = page.locator(".js-plotly-plot .nsewdrag").last.bounding_box()
    assert box is not None
    spots = [
        (0.25, 0.25, "orange"),
        (0.75, 0.75, "orange"),
        (0.25, 0.75, "blue"),
        (0.75, 0.25, "blue"),
        (0.5, 0.2, "blue"),
    ]
    for n, (fx, fy, colour) in enumerate(spots, start=1):
        page.locator('[data-testid="stSidebar"]').get_by_text(re.compile(f"^{colour}")).click()
        wait_ready(page)
        for attempt in range(3):  # a click that lands while the chart is being replaced is lost: click again
            box = page.locator(".js-plotly-plot .nsewdrag").last.bounding_box()
            page.mouse.click(box["x"] + fx * box["width"], box["y"] + fy * box["height"])
            try:
                page.get_by_text(f"{n} points clicked").wait_for(timeout=8_000)
                break
            except PlaywrightTimeout:
                assert attempt < 2, f"click {n} did not add a point"
        wait_ready(page)
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Epoch 1").filter(visible=True).first.wait_for()
    assert_no_exception(page)
    shot(page, "playground-clicked-points")

    # A CSV instead: a bad one names its row and column; a good one replaces the points.
    upload = page.locator(".st-key-pg_csv input[type=file]")
    upload.set_input_files(
        files=[{"name": "bad.csv", "mimeType": "text/csv", "buffer": b"x1,x2,label\n1,2,0\n1,abc,1\n"}]
    )
    page.get_by_text("bad.csv: Row 3, column x2").wait_for()
    good = b"x1,x2,label\n" + b"".join(
        f"{a},{b},{int(a * b > 0)}\n".encode() for a in range(-5, 6) for b in (-4, -2, 2, 4)
    )
    upload.set_input_files(files=[{"name": "quadrants.csv", "mimeType": "text/csv", "buffer": good}])
    page.get_by_text("44 points from quadrants.csv").wait_for()
    page.get_by_role("button", name="Step", exact=True).click()
    page.get_by_text("Epoch 1").filter(visible=True).first.wait_for()
    assert_no_exception(page)
    shot(page, "playground-csv-points")
