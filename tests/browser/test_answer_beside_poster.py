"""The answer beside its poster at desktop (1280x800) and phone (390x844) sizes, the history of this visit,
"Copy the answer", camera capture, the model page, and every point of the page walked through at both sizes:
through the real API whose endpoint is the fake one."""
import re

import pytest
from playwright.sync_api import expect

from devkit.endpoint_answers import VERDICT_ANSWERS, endpoint_answer
from devkit.fake_sagemaker import Behaviour
from devkit.images import encode, poster_art
from tests.browser.pages import (HEADINGS, LOOKS, a_page_with, choose_and_read_answer,
                                 expect_no_accessibility_violations, is_predict_post, record_predict_requests)

SIZES = {"desktop": "desktop-light", "phone": "phone-dark"}


@pytest.fixture(scope="module")
def poster_files(tmp_path_factory):
    directory = tmp_path_factory.mktemp("posters")
    paths = []
    for seed, name in enumerate(["first.jpg", "second.jpg"]):
        path = directory / name
        path.write_bytes(encode(poster_art(300, 450, seed=seed + 11), "JPEG", quality=85))
        paths.append(path)
    return paths


@pytest.fixture(params=list(SIZES))
def sized_page(request, browser):
    context, page = a_page_with(browser, SIZES[request.param])
    yield request.param, page
    context.close()


def answer_example_from_the_bottom(page, fake_site, fake_endpoint, example: str = "Night Shift"):
    fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["hard to tell"])
    page.goto(fake_site)
    button = page.get_by_role("button", name=example)
    button.scroll_into_view_if_needed()
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    with page.expect_response(lambda response: is_predict_post(response.request)):
        button.click()
    expect(page.locator("#verdict")).to_have_text(HEADINGS["hard to tell"])


def test_after_an_example_the_poster_and_its_answer_are_both_in_view(sized_page, fake_site, fake_endpoint):
    size, page = sized_page
    answer_example_from_the_bottom(page, fake_site, fake_endpoint)

    expect(page.locator("#poster-preview")).to_be_in_viewport()
    expect(page.locator("#answer")).to_be_in_viewport()
    expect(page.locator("#verdict")).to_be_in_viewport(ratio=1)
    expect(page.get_by_role("button", name="Show where the model looked")).to_be_in_viewport(ratio=1)


def test_on_a_wide_screen_the_answer_stands_beside_its_poster(browser, fake_site, fake_endpoint):
    context, page = a_page_with(browser, "desktop-dark")
    try:
        answer_example_from_the_bottom(page, fake_site, fake_endpoint)
        poster = page.locator("#poster-preview").bounding_box()
        card = page.locator("#answer").bounding_box()
        assert card["x"] >= poster["x"] + poster["width"], "the answer is not beside the poster"
        assert card["y"] < poster["y"] + poster["height"] and poster["y"] < card["y"] + card["height"]
    finally:
        context.close()


def test_on_a_phone_the_answer_is_directly_under_its_poster_with_no_control_between(
        browser, fake_site, fake_endpoint):
    context, page = a_page_with(browser, "phone-light")
    try:
        answer_example_from_the_bottom(page, fake_site, fake_endpoint)
        poster = page.locator("#poster-preview").bounding_box()
        card = page.locator("#answer").bounding_box()
        assert card["y"] >= poster["y"] + poster["height"]
        assert card["y"] - (poster["y"] + poster["height"]) < 80, "the answer drifted away from its poster"
        between = [control for control in page.locator("button:visible, a:visible, input:visible").all()
                   if poster["y"] + poster["height"] <= control.bounding_box()["y"] < card["y"]]
        assert between == [], "a control stands between the poster and its answer"
    finally:
        context.close()


def test_every_poster_of_the_visit_is_kept_in_the_history_with_its_answer(page, fake_site, fake_endpoint,
                                                                         poster_files):
    sent = record_predict_requests(page)
    page.goto(fake_site)
    expect(page.locator("#history")).to_be_hidden()
    fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["thriller/crime"])
    choose_and_read_answer(page, poster_files[0])
    fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["not thriller"])
    choose_and_read_answer(page, poster_files[1])

    items = page.locator("#history-list li")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_contain_text(f"second.jpg{HEADINGS['not thriller']}")
    expect(items.nth(1)).to_contain_text(f"first.jpg{HEADINGS['thriller/crime']} (62%)")
    expect(page.locator("#history")).to_contain_text("Kept in this page only")

    items.nth(1).get_by_role("button").click()

    expect(page.get_by_role("img", name=re.compile("first.jpg"))).to_be_visible()
    expect(page.locator("#verdict")).to_have_text(HEADINGS["thriller/crime"])
    expect(page.locator("#chance-text")).to_contain_text("62% chance")
    assert len(sent) == 2, "a poster from the history is shown again, not asked again"


def test_copy_the_answer_copies_the_verdict_the_chance_and_the_top_genres(browser, fake_site, fake_endpoint,
                                                                         poster_files):
    context, page = a_page_with(browser, "desktop-light")
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["thriller/crime"])
        page.goto(fake_site)
        result = choose_and_read_answer(page, poster_files[0])

        page.get_by_role("button", name="Copy the answer").click()

        expect(page.locator("#copy-note")).to_have_text("Copied.")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(f"first.jpg: {HEADINGS['thriller/crime']}.")
        assert "62% chance it is a thriller/crime film; about 1 film in 4 is one." in copied
        top = ", ".join(f"{g['genre']} {round(g['probability'] * 100)}%" for g in result["genres"][:3])
        assert f"Genres it looks like (each its own chance): {top}." in copied
    finally:
        context.close()


def test_a_phone_can_take_a_photo_of_a_poster_with_its_camera(browser, fake_site, fake_endpoint, poster_files):
    context, page = a_page_with(browser, "phone-light")
    try:
        page.on("filechooser", lambda chooser: None)  # interception on before the page loads
        page.goto(fake_site)
        camera_input = page.locator("#camera-input")
        expect(camera_input).to_have_attribute("capture", "environment")
        expect(camera_input).to_have_attribute("accept", "image/*")

        with page.expect_file_chooser() as chooser_info:
            page.get_by_role("button", name="Take a photo of a poster").click()
        assert chooser_info.value.element.get_attribute("id") == "camera-input"
        with page.expect_response(lambda response: is_predict_post(response.request)):
            chooser_info.value.set_files(poster_files[0])

        expect(page.locator("#answer")).to_be_visible()
    finally:
        context.close()


def test_the_camera_button_is_offered_only_where_there_is_a_touch_screen(page, fake_site):
    page.goto(fake_site)

    expect(page.get_by_role("button", name="Take a photo of a poster")).to_be_hidden()


@pytest.mark.parametrize("look", list(LOOKS))
def test_the_model_page_presents_the_key_figures_and_limits_with_no_accessibility_violations(
        browser, fake_site, fake_endpoint, look):
    context, page = a_page_with(browser, look)
    try:
        answer_example_from_the_bottom(page, fake_site, fake_endpoint)
        page.locator("#explainer summary").click()
        page.get_by_role("link", name="The model's key figures and limits").click()

        expect(page.get_by_role("heading", level=1)).to_have_text("The model: key figures and limits")
        expect(page.get_by_role("table")).to_contain_text("hard to tell")
        expect(page.get_by_role("heading", name="Where it fails")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= LOOKS[look]["viewport"]["width"]
        expect_no_accessibility_violations(page, f"model page, {look}")
    finally:
        context.close()


def chosen_with_the_keyboard(page, key: str, path):
    """Focus "Choose a poster" (or "Choose another poster"), press key, pick path: the page asks at once."""
    page.locator("#choose-button").focus()
    with page.expect_file_chooser() as chooser_info:
        page.keyboard.press(key)
    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        chooser_info.value.set_files(path)
    return response_info.value.json()


def fail_next_predict(page, **fulfilment):
    page.route("**/predict", lambda route: route.fulfill(headers={"Access-Control-Allow-Origin": "*"}, **fulfilment)
               if fulfilment else route.abort(), times=1)


@pytest.mark.parametrize("size", list(SIZES))
def test_every_point_of_the_page_holds_at_desktop_and_phone_size(browser, fake_site, fake_endpoint, poster_files,
                                                                size):
    context, page = a_page_with(browser, SIZES[size])
    try:
        context.grant_permissions(["clipboard-read", "clipboard-write"])
        page.on("filechooser", lambda chooser: None)  # interception on before the page loads
        page.goto(fake_site)
        expect(page.get_by_role("button", name="Take a photo of a poster")).to_be_visible(visible=size == "phone")

        fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["thriller/crime"])
        result = chosen_with_the_keyboard(page, "Enter", poster_files[0])  # one flow: chosen is asked
        expect(page.locator("#verdict")).to_have_text(HEADINGS["thriller/crime"])
        assert result["message"].startswith(HEADINGS["thriller/crime"])
        for part in ["#poster-preview", "#answer"]:
            expect(page.locator(part)).to_be_in_viewport()
        expect(page.locator("#genres")).to_contain_text("Each genre is its own chance")
        page.locator("#explainer summary").click()
        expect(page.locator("#explainer")).to_contain_text("posters it never saw")
        page.get_by_role("button", name="Show where the model looked").click()
        expect(page.get_by_role("button", name="Hide where the model looked")).to_be_visible()
        expect(page.locator("#evidence-legend")).to_be_visible()
        page.get_by_role("button", name="Copy the answer").click()
        expect(page.locator("#copy-note")).to_have_text("Copied.")

        fake_endpoint.behaviour = Behaviour(body=endpoint_answer(0.3, poster_likeness=0.001,
                                                                 not_a_poster_reason="photograph"))
        chosen_with_the_keyboard(page, "Space", poster_files[1])
        expect(page.locator("#not-a-poster-reason")).to_contain_text("it looks like a photograph")
        page.get_by_role("button", name="Ask anyway").click()
        expect(page.locator("#verdict")).to_have_text(HEADINGS["hard to tell"])
        expect(page.locator("#poster-warning")).to_be_visible()
        expect(page.locator("#history-list li")).to_have_count(2)

        held = []
        page.route("**/predict", lambda route: held.append(route))
        ask_again = page.get_by_role("button", name="Ask again")
        ask_again.click()
        page.get_by_role("button", name="Cancel").click()
        expect(page.locator("#notice")).to_contain_text("Cancelled")
        page.unroute("**/predict")

        for fulfilment, words in [({}, "check your connection"), ({"status": 503}, "The model is not answering"),
                                  ({"status": 504}, "The model is not answering"),
                                  ({"status": 400}, "could not read this image")]:
            fail_next_predict(page, **fulfilment)
            ask_again.click()
            expect(page.get_by_role("alert")).to_contain_text(words)
            expect(page.get_by_role("alert")).to_be_in_viewport()
    finally:
        context.close()
