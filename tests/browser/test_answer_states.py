"""The answer as a person sees and hears it, for every verdict, through the real API (`chalice local`)
whose model endpoint is the fake SageMaker server answering in our endpoint's shape; and the examples.
"""
import json
import re

import pytest
from playwright.sync_api import expect

from devkit.endpoint_answers import (BASE_RATE, EVIDENCE_COLUMNS, EVIDENCE_ROWS, HARD_TO_TELL_BAND,
                                            VERDICT_ANSWERS, endpoint_answer)
from devkit.fake_sagemaker import Behaviour
from devkit.images import encode, poster_art
from tests.browser.pages import (HEADINGS, HEADLINES, LOOKS, a_page_with, ask_and_read_answer, ask_button,
                                 choose_and_read_answer, expect_no_accessibility_violations, hold_the_worker,
                                 is_predict_post, request_sent_for, wait_until_held)

POSTER_VERDICTS = ["thriller/crime", "hard to tell", "not thriller"]
EXAMPLES = ["Dead Reckoning", "Night Shift", "Quiet Street", "Picnic Party!", "Moon Garden",
            "Quarterly Sales (a chart)"]


@pytest.fixture(scope="module")
def poster_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("posters") / "poster.jpg"
    path.write_bytes(encode(poster_art(341, 512, seed=5), "JPEG", quality=85))
    return path


def answered(page, fake_site, fake_endpoint, poster_file, verdict: str) -> dict:
    """The page after choosing a poster the endpoint answers with this verdict; returns the API's answer."""
    return answered_with(page, fake_site, fake_endpoint, poster_file, VERDICT_ANSWERS[verdict], verdict)


def answered_with(page, fake_site, fake_endpoint, poster_file, endpoint_body: bytes, verdict: str) -> dict:
    fake_endpoint.behaviour = Behaviour(body=endpoint_body)
    page.goto(fake_site)
    result = choose_and_read_answer(page, poster_file)
    assert result["verdict"] == verdict, "the API did not turn the endpoint's answer into the expected verdict"
    expect(page.locator("#answer")).to_be_visible()
    return result


def centre_x(locator) -> float:
    box = locator.bounding_box()
    return box["x"] + box["width"] / 2


@pytest.mark.parametrize("verdict", list(HEADINGS))
def test_the_verdict_is_stated_once_in_words_that_fit_it(page, fake_site, fake_endpoint, poster_file, verdict):
    answered(page, fake_site, fake_endpoint, poster_file, verdict)

    heading = HEADINGS[verdict]
    expect(page.get_by_role("heading", level=2, name=heading)).to_be_visible()
    shown = "\n".join(page.locator("main > :not([role=status]):not(#history)").all_inner_texts())
    assert shown.count(heading) == 1
    status = page.get_by_role("status")
    expect(status).to_contain_text(heading)
    box = status.bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1, "the status line shows a second copy of the verdict"
    assert page.locator("[aria-live], [role=status], [role=alert]:not([hidden])").count() == 1


# One row per line of docs/api.md's table of phrasings (base rate 0.25, band [0.2, 0.45)).
@pytest.mark.parametrize("probability, certainty", [
    (0.8, "very likely"), (0.6, "likely"), (0.47, "leans"), (0.3, "hard to tell"), (0.1, "unlikely"),
    (0.04, "very unlikely")])
def test_the_headline_has_the_certainty_of_the_chance(page, fake_site, fake_endpoint, poster_file, probability,
                                                      certainty):
    result = answered_with(page, fake_site, fake_endpoint, poster_file, endpoint_answer(probability),
                           {"hard to tell": "hard to tell", "unlikely": "not thriller",
                            "very unlikely": "not thriller"}.get(certainty, "thriller/crime"))

    assert result["certainty"] == certainty
    expect(page.locator("#verdict")).to_have_text(HEADLINES[certainty])
    assert result["message"].startswith(HEADLINES[certainty]), "the page and the API's message say the same"
    expect(page.locator("#verdict")).not_to_contain_text("This is")
    expect(page.locator("#answer")).not_to_contain_text(re.compile(r"\byou\b|enjoy|like it", re.IGNORECASE))


@pytest.mark.parametrize("verdict", POSTER_VERDICTS)
def test_the_chance_is_shown_next_to_the_base_rate(page, fake_site, fake_endpoint, poster_file, verdict):
    result = answered(page, fake_site, fake_endpoint, poster_file, verdict)

    percent = f"{round(result['probability'] * 100)}%"
    chance = page.locator("#chance-text")
    expect(chance).to_contain_text(f"{percent} chance")
    expect(chance).to_contain_text(f"about 1 film in {round(1 / BASE_RATE)}")
    expect(page.get_by_role("status")).to_contain_text(percent)


@pytest.mark.parametrize("verdict", POSTER_VERDICTS)
def test_the_scale_marks_the_chance_in_the_zone_and_colour_of_the_verdict(
        page, fake_site, fake_endpoint, poster_file, verdict):
    answered(page, fake_site, fake_endpoint, poster_file, verdict)

    zone = {"not thriller": "#scale-below", "hard to tell": "#scale-band", "thriller/crime": "#scale-above"}[verdict]
    marker = page.locator("#scale-marker")
    box = page.locator(zone).bounding_box()
    assert box["x"] <= centre_x(marker) <= box["x"] + box["width"], "the marker sits outside the verdict's zone"
    band = page.locator("#scale-band").bounding_box()
    track = page.locator(".scale-track").bounding_box()
    assert band["x"] - track["x"] == pytest.approx(HARD_TO_TELL_BAND[0] * track["width"], abs=2)
    heading_colour = page.locator("#verdict").evaluate("element => getComputedStyle(element).color")
    marker_colour = marker.evaluate("element => getComputedStyle(element).backgroundColor")
    assert marker_colour == heading_colour
    expect(page.locator("#scale")).to_have_attribute("aria-hidden", "true")  # the sentence says it already
    low, high = (round(edge * 100) for edge in HARD_TO_TELL_BAND)
    expect(page.locator("#scale-key")).to_contain_text(f"under {low}%: unlikely")
    expect(page.locator("#scale-key")).to_contain_text(f"{low}% to {high}%: hard to tell")


def test_the_explainer_says_what_the_number_means(page, fake_site, fake_endpoint, poster_file):
    answered(page, fake_site, fake_endpoint, poster_file, "hard to tell")
    explainer = page.locator("#explainer")
    explainer.get_by_text("What the number means").click()

    expect(explainer).to_contain_text("about 1 film in 4")
    expect(explainer).to_contain_text("“hard to tell” band")
    expect(explainer).to_contain_text("posters it never saw")
    expect(explainer.get_by_role("link", name=re.compile("key figures"))).to_have_attribute("href", "model.html")


def test_the_top_genres_are_listed_with_their_probabilities(page, fake_site, fake_endpoint, poster_file):
    result = answered(page, fake_site, fake_endpoint, poster_file, "not thriller")

    expect(page.locator("#genres")).to_contain_text("Each genre is its own chance")
    expect(page.locator("#genres")).to_contain_text("either of the two")
    items = page.locator("#genre-list li")
    expect(items).to_have_count(3)
    for item, genre in zip(items.all(), result["genres"][:3]):
        expect(item).to_have_text(re.compile(rf"{genre['genre']}\s*{round(genre['probability'] * 100)}%"))


def test_not_a_poster_asks_for_a_movie_poster_with_no_verdict_bar(page, fake_site, fake_endpoint, poster_file):
    answered(page, fake_site, fake_endpoint, poster_file, "not a poster")

    expect(page.locator("#verdict")).to_have_text(HEADINGS["not a poster"])
    expect(page.locator("#not-a-poster")).to_contain_text("Try the poster of a movie")
    for part in ["#scale", "#chance", "#genres", "#evidence-toggle"]:
        expect(page.locator(part)).to_be_hidden()


@pytest.mark.parametrize("reason, words", [
    ("photograph", "it looks like a photograph"),
    ("mostly_flat", "most of it is flat, like a screenshot or a chart"),
    ("odd_shape", "its shape is unlike a poster's"),
    ("blank", "it is almost blank"),
    ("unlike_posters", "it looks unlike the posters the model learned from"),
    ("a_reason_added_later", "it is unlike the posters the model learned from"),
])
def test_not_a_poster_says_what_made_it_unlike_a_poster(page, fake_site, fake_endpoint, poster_file, reason, words):
    result = answered_with(page, fake_site, fake_endpoint, poster_file,
                           endpoint_answer(0.3, poster_likeness=0.001, not_a_poster_reason=reason), "not a poster")

    assert result["not_a_poster_reason"] == reason
    expect(page.locator("#not-a-poster-reason")).to_contain_text(f"What makes it unlike a poster: {words}.")
    expect(page.get_by_role("status")).to_contain_text(words)


def test_an_api_without_the_answer_as_a_poster_gives_the_reason_but_offers_no_ask_anyway(page, fake_site, poster_file):
    page.route("**/predict", lambda route: route.fulfill(
        status=200, content_type="application/json", headers={"Access-Control-Allow-Origin": "*"},
        body=json.dumps({"verdict": "not a poster", "probability": 0.3, "not_a_poster_reason": "blank"})))
    page.goto(fake_site)

    page.set_input_files("#poster-input", poster_file)

    expect(page.locator("#verdict")).to_have_text(HEADINGS["not a poster"])
    expect(page.locator("#not-a-poster-reason")).to_have_text(
        "What makes it unlike a poster: it is almost blank. Try the poster of a movie.")
    expect(page.get_by_role("button", name="Ask anyway")).to_be_hidden()


def test_ask_anyway_shows_the_answer_with_the_warning_kept_beside_it(page, fake_site, fake_endpoint, poster_file):
    sent = []
    page.on("request", lambda request: sent.append(request) if is_predict_post(request) else None)
    answered_with(page, fake_site, fake_endpoint, poster_file,
                  endpoint_answer(0.62, poster_likeness=0.001, not_a_poster_reason="photograph"), "not a poster")

    page.get_by_role("button", name="Ask anyway").click()

    expect(page.locator("#verdict")).to_have_text(HEADLINES["likely"])
    expect(page.locator("#poster-warning")).to_contain_text(
        "does not look like a movie poster (it looks like a photograph)")
    expect(page.locator("#chance-text")).to_contain_text("62% chance")
    for part in ["#scale", "#genres", "#evidence-toggle"]:
        expect(page.locator(part)).to_be_visible()
    expect(page.get_by_role("button", name="Ask anyway")).to_be_hidden()
    assert len(sent) == 1, "the answer as a poster came with the first answer: nothing is sent twice"


def test_where_the_model_looked_is_off_by_default_and_toggled_from_the_keyboard(
        page, fake_site, fake_endpoint, poster_file):
    answered(page, fake_site, fake_endpoint, poster_file, "thriller/crime")
    toggle = page.get_by_role("button", name="Show where the model looked")
    heat_map = page.locator("#evidence-map")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(heat_map).to_be_hidden()

    toggle.focus()
    page.keyboard.press("Space")
    toggle = page.get_by_role("button", name="Hide where the model looked")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(toggle).to_be_focused()
    expect(heat_map).to_be_visible()
    expect(page.locator("#evidence-legend")).to_contain_text("pushed towards thriller/crime")
    assert heat_map.bounding_box() == pytest.approx(page.locator("#poster-preview").bounding_box(), abs=0.5)

    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Show where the model looked")).to_have_attribute("aria-expanded", "false")
    expect(heat_map).to_be_hidden()


def test_the_heat_map_toggle_sits_on_the_poster(page, fake_site, fake_endpoint, poster_file):
    answered(page, fake_site, fake_endpoint, poster_file, "thriller/crime")

    toggle = page.get_by_role("button", name="Show where the model looked").bounding_box()
    poster = page.locator("#poster-preview").bounding_box()
    assert poster["x"] <= toggle["x"] and toggle["x"] + toggle["width"] <= poster["x"] + poster["width"]
    assert poster["y"] <= toggle["y"] and toggle["y"] + toggle["height"] <= poster["y"] + poster["height"]


def test_the_poster_is_dimmed_under_the_heat_map(page, fake_site, fake_endpoint, poster_file):
    answered(page, fake_site, fake_endpoint, poster_file, "thriller/crime")
    preview = page.locator("#poster-preview")
    assert preview.evaluate("image => getComputedStyle(image).filter") == "none"

    page.get_by_role("button", name="Show where the model looked").click()

    expect(preview).to_have_css("filter", re.compile(r"brightness\(0\.\d+\)"))


def test_where_the_model_looked_is_described_in_words(page, fake_site, fake_endpoint, poster_file):
    answered(page, fake_site, fake_endpoint, poster_file, "thriller/crime")

    toggle = page.get_by_role("button", name="Show where the model looked")
    expect(toggle).to_have_accessible_description(re.compile(r"towards thriller/crime is mostly in the top third"))
    expect(toggle).to_have_accessible_description(re.compile(r"away from it is mostly in the bottom third"))


def evidence_grid(value_at) -> dict:
    rows, columns = EVIDENCE_ROWS, EVIDENCE_COLUMNS
    return {"rows": rows, "columns": columns,
            "values": [[value_at(row / rows, column / columns) for column in range(columns)] for row in range(rows)]}


@pytest.mark.parametrize("value_at, words", [
    (lambda y, x: 1.0 if y >= 0.7 and x >= 0.7 else 0.0, "towards thriller/crime is mostly in the bottom right"),
    (lambda y, x: 0.5, "towards thriller/crime is spread across the poster"),
    (lambda y, x: -0.5, "Nothing in the poster pushed strongly towards thriller/crime"),
    (lambda y, x: 1.0 if y < 0.3 and x < 0.3 else 0.2, "towards thriller/crime is mostly in the top left"),
    (lambda y, x: 1.0 if y < 0.3 else -0.2,
     "Marked in magenta, what pushed towards thriller/crime is mostly in the top third.$"),
], ids=["corner", "everywhere", "nothing-towards", "weak-pushes-are-not-named", "weak-away-is-not-named"])
def test_the_words_name_only_the_regions_that_are_marked(page, fake_site, fake_endpoint, poster_file, value_at,
                                                         words):
    answered_with(page, fake_site, fake_endpoint, poster_file, endpoint_answer(0.62, evidence=evidence_grid(value_at)),
                  "thriller/crime")

    toggle = page.get_by_role("button", name="Show where the model looked")
    expect(toggle).to_have_accessible_description(re.compile(words))


def pixel_at(page, x_share: float, y_share: float) -> list:
    return page.locator("#evidence-map").evaluate("""(canvas, [x, y]) => Array.from(canvas.getContext("2d")
      .getImageData(Math.floor(x * canvas.width), Math.floor(y * canvas.height), 1, 1).data)""", [x_share, y_share])


def test_the_heat_map_marks_towards_and_away_in_two_colours_and_leaves_the_rest_clear(
        page, fake_site, fake_endpoint, poster_file):
    grid = evidence_grid(lambda y, x: 1.0 if y < 0.3 else -0.5 if y >= 0.7 else 0.1)
    answered_with(page, fake_site, fake_endpoint, poster_file, endpoint_answer(0.62, evidence=grid), "thriller/crime")
    page.get_by_role("button", name="Show where the model looked").click()

    top, middle, bottom = pixel_at(page, 0.5, 0.1), pixel_at(page, 0.5, 0.5), pixel_at(page, 0.5, 0.85)
    assert top[0] > top[2] > top[1] and top[3] > 0, f"pushed towards: magenta, {top}"
    assert bottom[2] > bottom[0] and bottom[1] > bottom[0] and bottom[3] > 0, f"pushed away: cyan, {bottom}"
    assert middle[3] == 0, f"a weak push is left unmarked: {middle}"
    assert top[3] > bottom[3], "the stronger push is the more solid"


def test_the_page_asks_the_endpoint_for_evidence(page, fake_site, fake_endpoint, poster_file):
    answered(page, fake_site, fake_endpoint, poster_file, "thriller/crime")

    headers = {name.lower(): value for name, value in fake_endpoint.invocations[-1].headers.items()}
    assert "explain=1" in headers.get("x-amzn-sagemaker-custom-attributes", "")


def test_a_score_that_is_not_a_calibrated_probability_is_not_called_a_chance(
        page, fake_site, fake_endpoint, poster_file):
    fake_endpoint.answer([0.02, 0.98])  # an endpoint of someone else's: a plain list of class scores
    page.goto(fake_site)
    result = choose_and_read_answer(page, poster_file)

    assert "base_rate" in result["unavailable"]
    expect(page.locator("#verdict")).to_have_text("Leans towards thriller/crime")
    expect(page.locator("#chance-text")).to_contain_text("98 out of 100")
    expect(page.locator("#answer")).not_to_contain_text("98%", use_inner_text=True)
    expect(page.locator("#answer")).not_to_contain_text("chance", use_inner_text=True)
    for part in ["#scale", "#genres", "#evidence-toggle"]:
        expect(page.locator(part)).to_be_hidden()


@pytest.mark.parametrize("example", EXAMPLES)
def test_an_example_poster_is_answered_when_clicked(page, fake_site, fake_endpoint, example):
    fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["hard to tell"])
    page.goto(fake_site)

    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        page.get_by_role("button", name=example).click()

    assert response_info.value.ok
    expect(page.get_by_role("img", name=re.compile(re.escape(example)))).to_be_visible()
    expect(page.locator("#verdict")).to_have_text(HEADINGS["hard to tell"])


def test_the_examples_say_they_are_made_up(page, fake_site):
    page.goto(fake_site)

    examples = page.get_by_role("region", name=re.compile("Try one"))
    expect(examples).to_contain_text("Made-up examples")
    expect(examples.get_by_role("button")).to_have_count(len(EXAMPLES))


@pytest.mark.parametrize("look", list(LOOKS))
def test_every_state_passes_axe_core_with_no_violations(browser, fake_site, fake_endpoint, poster_file, look,
                                                       artifacts_dir):
    context, page = a_page_with(browser, look)
    try:
        def check(state: str):
            page.screenshot(path=artifacts_dir / f"state-{state}-{look}.png", full_page=True)
            expect_no_accessibility_violations(page, state)

        release_the_worker = hold_the_worker(page)
        fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["hard to tell"])
        page.goto(fake_site)
        check("empty")
        page.set_input_files("#poster-input", poster_file)
        expect(page.locator("#progress")).to_be_visible()
        check("preparing")  # held there: the worker that prepares the poster has not loaded yet
        with page.expect_response(lambda response: is_predict_post(response.request)):
            release_the_worker()
        expect(page.locator("#answer")).to_be_visible()
        check("first-answer")
        for verdict in HEADINGS:
            fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS[verdict])
            ask_and_read_answer(page)
            expect(page.locator("#verdict")).to_have_text(HEADINGS[verdict])
            check(verdict.replace("/", "-").replace(" ", "-"))
        fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["thriller/crime"])
        ask_and_read_answer(page)
        page.get_by_role("button", name="Show where the model looked").click()
        expect(page.locator("#evidence-map")).to_be_visible()
        check("evidence-shown")

        fake_endpoint.behaviour = Behaviour(
            body=endpoint_answer(0.3, poster_likeness=0.001, not_a_poster_reason="mostly_flat"))
        ask_and_read_answer(page)
        check("not-a-poster-with-reason")
        page.get_by_role("button", name="Ask anyway").click()
        expect(page.locator("#poster-warning")).to_be_visible()
        check("asked-anyway")
        page.get_by_role("button", name="Copy the answer").click()
        expect(page.locator("#copy-note")).not_to_be_empty()
        page.locator("#explainer summary").click()
        check("copied-and-explained")

        fake_endpoint.fail(503, "ServiceUnavailable")
        ask_and_read_answer(page)
        expect(page.get_by_role("button", name="Try again")).to_be_visible()
        check("error")

        held = []
        page.route("**/predict", lambda route: held.append(route))
        ask_button(page).click()
        wait_until_held(page, held)
        expect(page.get_by_role("button", name="Cancel")).to_be_visible()
        check("waiting")
        page.get_by_role("button", name="Cancel").click()
        expect(page.locator("#notice")).to_contain_text("Cancelled")
        check("cancelled")
        held[0].abort()
        page.unroute("**/predict")

        fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["not thriller"])
        page.get_by_role("button", name="Moon Garden").click()
        expect(page.locator("#verdict")).to_have_text(HEADINGS["not thriller"])
        expect(page.locator("#history-list li")).to_have_count(2)
        check("example-answered-with-history")
    finally:
        context.close()


def test_the_answer_card_fits_a_phone_screen(browser, fake_site, fake_endpoint, poster_file):
    context, page = a_page_with(browser, "phone-dark")
    try:
        answered(page, fake_site, fake_endpoint, poster_file, "hard to tell")
        page.get_by_role("button", name="Show where the model looked").click()
        assert page.evaluate("document.documentElement.scrollWidth") <= LOOKS["phone-dark"]["viewport"]["width"]
    finally:
        context.close()


def test_the_answer_shown_is_the_one_the_api_sent(page, fake_site, fake_endpoint, poster_file):
    fake_endpoint.behaviour = Behaviour(body=endpoint_answer(0.91, top_genres=("Crime", "Thriller", "Mystery")))

    request = request_sent_for(page, fake_site, poster_file)

    assert json.loads(request.post_data_buffer)["explain"] is True
    expect(page.locator("#chance-text")).to_contain_text("91% chance")
    expect(page.locator("#genre-list li").first).to_contain_text("Crime")
