"""The HTML pages in a real browser: Debian's Chromium, headless, driven through Debian's
ChromeDriver by Selenium (never a downloaded browser). Each page is opened from a file, with
the network closed to it, as a student would open a page saved from the course site.

Skipped without Chromium, except under CI, where .ci/run installs it and a missing one fails.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sympy as sp

import symderiv
from symderiv.render.documents import render_layer

IN_CI = os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1100,900",
)

pytestmark = pytest.mark.browser


def _browser(scripts: bool = True) -> Any:
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        if IN_CI:
            pytest.fail("Chromium or ChromeDriver is missing: .ci/run installs them")
        pytest.skip("Chromium is not installed (apt-get install chromium chromium-driver)")
    if not IN_CI:
        pytest.importorskip("selenium")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    if not scripts:
        options.add_experimental_option(
            "prefs", {"profile.managed_default_content_settings.javascript": 2}
        )
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    driver = _browser()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Any, Path]]:
    """Each page once: (its derivation, its file)."""
    folder = tmp_path_factory.mktemp("pages")
    made = {
        "conv2d": symderiv.conv2d(input=(4, 4), kernel=(2, 2), stride=(2, 2), padding=(1, 1)),
        "maxpool2d": symderiv.maxpool2d(),
        "network": symderiv.network(),
    }
    files = {}
    for name, derivation in made.items():
        lang = "zh" if name == "maxpool2d" else "en"
        path = folder / f"{name}.html"
        page = render_layer(derivation, "html", lang, False, True, name).text  # with figures
        path.write_text(page, encoding="utf-8")
        files[name] = (derivation, path)
    return files


def _open(browser: Any, path: Path) -> None:
    browser.get(path.as_uri())
    browser.get_log("browser")  # what an earlier page logged is not this page's


def _problems(browser: Any) -> list[str]:
    return [e["message"] for e in browser.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def _marks(browser: Any) -> dict[str, str]:
    return browser.execute_script(
        "const marks = {};"
        "for (const c of document.querySelectorAll('[data-mark]'))"
        " marks[c.dataset.place] = c.dataset.mark;"
        "return marks;"
    )


@pytest.mark.parametrize("name", ["conv2d", "maxpool2d", "network"])
def test_every_formula_is_typeset_without_errors(browser: Any, pages: Any, name: str) -> None:
    _open(browser, pages[name][1])
    # The explorers' equations kept aside are typeset when shown (the hover tests show them).
    counts = browser.execute_script(
        "const shown = s => Array.from(document.querySelectorAll(s))"
        "  .filter(e => !e.closest('.equations')).length;"
        "return [shown('.math'), shown('.math[data-typeset] .katex'), shown('.katex-error'),"
        " shown('.katex-mathml math')]"
    )
    assert counts[0] > 10
    assert counts[1] == counts[0] and counts[2] == 0, counts
    assert counts[3] >= counts[0], "every formula carries MathML for screen readers"
    assert not _problems(browser)
    visible = browser.execute_script(
        "return Array.from(document.querySelectorAll('main p, main h1, main h2, main li'))"
        ".map(e => e.innerText).join(' ')"
    )
    assert "\\frac" not in visible and "\\begin" not in visible and "_{" not in visible


def _place(symbol: sp.Symbol) -> str:
    *name, i, j = str(symbol).split("_")
    return f"{'_'.join(name).replace('dL_d', 'dL/d')}:{i},{j}"


def test_hovering_an_output_marks_what_the_derivation_says(browser: Any, pages: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    derivation, path = pages["conv2d"]
    _open(browser, path)
    cell = browser.find_element("css selector", '[data-place="O:1,2"]')
    ActionChains(browser).move_to_element(cell).perform()
    expected = {_place(s): "reads" for s in derivation.forward()[0, 1].free_symbols}
    upstream = sp.Symbol("dL_dO_1_2")
    for key in ("X", "F"):
        grid = derivation.gradient(key)
        for i in range(grid.shape[0]):
            for j in range(grid.shape[1]):
                if upstream in grid[i, j].free_symbols:
                    expected[f"dL/d{key}:{i + 1},{j + 1}"] = "feeds"
    assert _marks(browser) == expected
    view = browser.find_element("css selector", ".equation-view")
    assert view.find_elements("css selector", ".math[data-typeset] .katex"), "typeset when shown"
    assert "O" in view.text and "12" in view.text
    styles = browser.execute_script(
        "const s = m => getComputedStyle(document.querySelector(`[data-mark=${m}]`));"
        "return [s('reads').borderTopStyle, s('feeds').borderTopStyle];"
    )
    assert styles == ["solid", "dashed"], "the marks differ without colour"


def test_focus_from_the_keyboard_marks_the_same(browser: Any, pages: Any) -> None:
    from selenium.webdriver.common.keys import Keys

    derivation, path = pages["conv2d"]
    _open(browser, path)
    tab_stops = browser.execute_script(
        "return Array.from(document.querySelectorAll('[data-place]'))"
        ".filter(c => c.tabIndex === 0).map(c => c.dataset.place)"
    )
    assert tab_stops == ["X:1,1", "F:1,1", "O:1,1", "dL/dO:1,1", "dL/dF:1,1", "dL/dX:1,1"]
    browser.execute_script("document.querySelector('[data-place=\"X:1,1\"]').focus()")
    browser.switch_to.active_element.send_keys(Keys.ARROW_RIGHT)
    assert browser.switch_to.active_element.get_attribute("data-place") == "X:1,2"
    reads = {_place(s) for s in derivation.gradient("X")[0, 1].free_symbols}
    assert {p for p, m in _marks(browser).items() if m == "reads"} == reads
    for key, place in (
        (Keys.ARROW_DOWN, "X:2,2"),
        (Keys.END, "X:2,4"),
        (Keys.ARROW_RIGHT, "X:2,4"),
    ):
        browser.switch_to.active_element.send_keys(key)
        assert browser.switch_to.active_element.get_attribute("data-place") == place


def test_max_pooling_marks_the_window_and_its_switch(browser: Any, pages: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    derivation, path = pages["maxpool2d"]
    _open(browser, path)
    selection = derivation.selections[-1]
    output = ",".join(str(i + 1) for i in selection.window.output)
    ActionChains(browser).move_to_element(
        browser.find_element("css selector", f'[data-place="O:{output}"]')
    ).perform()
    marks = _marks(browser)
    switch = "X:" + ",".join(str(i + 1) for i in selection.winner)
    assert marks.pop(switch) == "reads"
    window = {"X:" + ",".join(str(i + 1) for i in c) for c in selection.window.real}
    assert {p for p, m in marks.items() if m == "window"} == window - {switch}


def test_the_network_marks_a_stage_s_arrays(browser: Any, pages: Any) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    _, path = pages["network"]
    _open(browser, path)
    stage = browser.find_element("css selector", '[data-place="layer:3"]')
    ActionChains(browser).move_to_element(stage).perform()
    assert _marks(browser) == {"A:2": "reads", "A:3": "feeds"}
    assert "maxpool2d" in browser.find_element("css selector", ".equation-view").text


def test_the_page_is_drawn_and_prints(browser: Any, pages: Any) -> None:
    _open(browser, pages["conv2d"][1])
    inked = browser.execute_async_script(
        # The browser decodes its own screenshot: the share of dark pixels in it.
        "const done = arguments[1]; const image = new Image();"
        "image.onload = () => { const c = document.createElement('canvas');"
        " c.width = image.width; c.height = image.height;"
        " const g = c.getContext('2d'); g.drawImage(image, 0, 0);"
        " const d = g.getImageData(0, 0, c.width, c.height).data; let dark = 0;"
        " for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 384) dark++;"
        " done(dark / (c.width * c.height)); };"
        "image.src = 'data:image/png;base64,' + arguments[0];",
        browser.get_screenshot_as_base64(),
    )
    assert inked > 0.005, f"the screenshot is (nearly) blank: {inked:.4f} of it is dark"
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        shown = browser.execute_script(
            "return ['.symderiv-explorer', 'main h1', 'figure', '.display']"
            ".map(s => getComputedStyle(document.querySelector(s)).display)"
        )
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert shown[0] == "none" and "none" not in shown[1:], shown


def test_without_scripts_the_page_still_reads(pages: Any) -> None:
    driver = _browser(scripts=False)
    try:
        _open(driver, pages["conv2d"][1])
        text = driver.find_element("tag name", "main").text
        assert "Backpropagation through conv2d" in text and "Forward pass" in text
        assert "X_{11}" in text, "the TeX stays readable where KaTeX does not run"
        assert not driver.find_element("css selector", ".equation-view").is_displayed()
        focusable = driver.execute_script(
            "return document.querySelectorAll('[data-place]')[0].tabIndex"
        )
        assert focusable == -1, "without scripts an element would focus and show nothing"
    finally:
        driver.quit()


def test_the_theorems_page_is_typeset_without_errors(browser: Any, tmp_path: Path) -> None:
    """symderiv theorems --format html, in Chinese with every proof: each formula typeset."""
    from symderiv.render.theorems import render_theorems
    from symderiv.theorems import theorems
    from symderiv.theorems.result import as_data

    path = tmp_path / "theorems.html"
    items = [as_data(n, t, proofs=True) for n, t in theorems()]
    path.write_text(render_theorems(items, "html", "zh"), encoding="utf-8")
    _open(browser, path)
    counts = browser.execute_script(
        "return [document.querySelectorAll('.math').length,"
        " document.querySelectorAll('.math[data-typeset] .katex').length,"
        " document.querySelectorAll('.katex-error').length]"
    )
    assert counts[0] > 100 and counts[1] == counts[0] and counts[2] == 0, counts
    assert not _problems(browser)
