"""The page in a real browser (Playwright driving Debian's Chromium, which .ci/run installs):
load it, type a review, submit from the keyboard, and see the label, its probability bars, the
words coloured by attribution and the gates heatmap — at desktop and phone width, with nothing
fetched from anywhere but the server. Screenshots go to $RNNKIT_SCREENSHOTS (docs/ holds the
ones made from the main job's run: see docs/serving.md) or the test's temporary folder.

Chromium is found on the PATH (``chromium``, Debian's package, or ``chromium-browser``) or at
$RNNKIT_CHROMIUM; Playwright's own browser downloads are not used.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .conftest import REVIEW, needs_serve

needs_serve()
pytest.importorskip("playwright")

pytestmark = pytest.mark.browser

SIZES = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _chromium() -> str:
    found = os.environ.get("RNNKIT_CHROMIUM") or shutil.which("chromium") or \
        shutil.which("chromium-browser")
    if not found:
        pytest.skip("no Chromium: apt-get install chromium (or set RNNKIT_CHROMIUM)")
    return found


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=_chromium())
        yield browser
        browser.close()


@pytest.fixture
def page_url(served_run):
    """The page of the tiny run, or of $RNNKIT_SERVE_RUN (how docs/ screenshots are made)."""
    from rnnkit.serve.app import app_for

    from ._server import running
    with running(app_for(os.environ.get("RNNKIT_SERVE_RUN") or served_run)) as url:
        yield url


@pytest.mark.parametrize("size", list(SIZES))
def test_a_review_typed_and_submitted_shows_label_words_and_gates(browser, page_url, size,
                                                                  classifier, tmp_path):
    page = browser.new_page(viewport=SIZES[size])
    outside, problems = [], []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(page_url)
            else None)
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.goto(page_url + "/")
    page.wait_for_selector("#card-facts dt")                       # the model card is in

    page.focus("#text")
    page.keyboard.type(REVIEW)
    page.keyboard.press("Control+Enter")                            # submit from the keyboard
    page.wait_for_selector("#words .w[data-attribution]")
    page.wait_for_selector("#gates:not([hidden])")

    if not os.environ.get("RNNKIT_SERVE_RUN"):                      # the tiny run's answer
        expected = classifier.predict_details([REVIEW])[0]
        assert page.inner_text("#label") == expected["label"]
        assert page.inner_text("#probability") == f"({100 * expected['probability']:.1f}%)"
    assert page.locator("#bars .bar").count() == 2
    coloured = page.locator("#words .w[data-attribution]")
    assert coloured.count() >= 8
    backgrounds = {coloured.nth(i).evaluate("w => getComputedStyle(w).backgroundColor")
                   for i in range(coloured.count())}
    assert len(backgrounds) >= 4 and "rgba(0, 0, 0, 0)" not in backgrounds
    assert "Most for" in page.inner_text("#explain-summary")
    canvas = page.locator("#heatmap").bounding_box()
    assert canvas["width"] > 100 and canvas["height"] > 50
    assert "Test accuracy" in page.inner_text("#card-facts")

    # readable at this width: nothing but the heatmap and table scroll sideways
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert not outside and not problems, (outside, problems)
    folder = Path(os.environ.get("RNNKIT_SCREENSHOTS") or tmp_path)
    page.screenshot(path=str(folder / f"serving-{size}.png"), full_page=True)
    page.close()


def test_the_form_works_from_the_keyboard_alone(browser, page_url):
    page = browser.new_page(viewport=SIZES["desktop"])
    page.goto(page_url + "/")
    page.wait_for_selector("#card-facts dt")

    def focused() -> str:
        return page.evaluate("document.activeElement.id || document.activeElement.className")

    page.keyboard.press("Tab")
    assert focused() == "skip"                          # the skip link comes first
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert focused() == "method"                        # it led to the text box
    page.keyboard.press("Shift+Tab")
    assert focused() == "text"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert focused() == "submit"
    page.keyboard.press("Enter")                        # an empty text: said, not sent
    assert page.inner_text("#error") == "Type a text first."
    assert page.locator("#result").is_hidden()
    page.focus("#text")
    page.keyboard.type("good fun film")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_selector("#result:not([hidden])")
    assert page.locator("#error").is_hidden()
    page.close()


def test_a_text_the_model_cannot_explain_says_so_and_hides_old_views(browser, page_url):
    page = browser.new_page(viewport=SIZES["desktop"])
    page.goto(page_url + "/")
    page.wait_for_selector("#card-facts dt")
    page.fill("#text", REVIEW)
    page.click("#submit")
    page.wait_for_selector("#explanation:not([hidden])")
    page.fill("#text", "zzzq xxyy")                  # no word the model knows
    page.click("#submit")
    page.wait_for_selector("#error:not([hidden])")
    assert "no word of the text reached the model" in page.inner_text("#error")
    assert page.locator("#result").is_visible()          # the prediction is still shown
    assert page.locator("#explanation").is_hidden()      # not the previous text's words
    page.close()
