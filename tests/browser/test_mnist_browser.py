"""Real-browser test of the MNIST page: train 2 epochs live, read the results, try a digit."""

from __future__ import annotations

import re
import time

from tests.browser.conftest import assert_no_exception, shot, wait_ready


def test_mnist_trains_two_epochs_and_predicts(server, page):  # type: ignore[no-untyped-def]
    """Two epochs of the lecture's recipe: progress bar, curves, confusion matrix, a prediction."""
    page.set_viewport_size({"width": 1400, "height": 3200})  # the whole page in each screenshot
    page.goto(server.url + "/mnist?epochs=2")
    wait_ready(page, timeout=90_000)
    page.get_by_role("heading", name="8 · MNIST, end to end").wait_for()
    page.get_by_role("button", name="Train").wait_for(timeout=90_000)
    assert_no_exception(page)
    shot(page, "mnist-start")

    started = time.perf_counter()
    page.get_by_role("button", name="Train").click()
    # The progress bar and the live curves appear while it trains.
    page.locator('[data-testid="stProgress"]').filter(visible=True).first.wait_for(timeout=60_000)
    # Epoch 1 shows for about one epoch's time; on a busy machine the page may already show epoch 2.
    page.get_by_text(re.compile(r"Epoch [12] of at most 2")).filter(visible=True).first.wait_for(timeout=60_000)
    page.get_by_text("Learning rate (drops marked)").first.wait_for(timeout=60_000)  # the live curves
    shot(page, "mnist-training")
    # The results: confusion matrix on the first tab.
    page.get_by_role("heading", name="Results on the 10,000 test images").wait_for(timeout=90_000)
    print(f"2 epochs in the browser: {time.perf_counter() - started:.1f} s")
    page.get_by_text("Confusion matrix (test set)").first.wait_for()
    assert page.get_by_text("Epoch 2 of at most 2").filter(visible=True).count() >= 1
    assert page.locator(".js-plotly-plot").count() >= 4  # loss, accuracy, lr, confusion matrix
    assert_no_exception(page)
    shot(page, "mnist-results")

    # Try it: a test image gets a prediction.
    number = page.get_by_label("Test image number")
    number.fill("7")
    number.press("Enter")
    wait_ready(page)
    page.get_by_text("Test image 7").first.wait_for()
    page.get_by_text("Prediction:").first.wait_for()
    # And a stroke drawn with the mouse on the canvas reaches the network.
    canvas = page.locator("canvas").filter(visible=True).first
    box = canvas.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 140, box["y"] + 50)
    page.mouse.down()
    for step in range(1, 21):
        page.mouse.move(box["x"] + 140, box["y"] + 50 + step * 9)
    page.mouse.up()
    page.get_by_text("What the network sees (28×28)").first.wait_for(timeout=30_000)
    wait_ready(page)
    assert page.get_by_text("Prediction:").count() >= 2
    assert_no_exception(page)
    shot(page, "mnist-try-it")
