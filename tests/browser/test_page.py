"""The page in real Chromium, against the real API (`chalice local`): choosing, preparing and sending a poster,
waiting, cancelling, errors. The shipped model answers through the local endpoint; where a test needs the
endpoint to fail on demand, the fake SageMaker server stands in for it behind the same real API.
"""
import base64
import io
import json
import math
import re

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import expect

from devkit.endpoint_answers import VERDICT_ANSWERS
from devkit.fake_sagemaker import Behaviour
from devkit.images import encode, poster, poster_art
from tests.browser.pages import (HEADINGS, HEADLINES, a_page_with, ask_and_read_answer, ask_button,
                                 choose_and_read_answer, drop_file, hold_the_worker, is_predict_post, poster_ready,
                                 record_predict_requests, request_sent_for, wait_until_held)

LARGE_POSTER_SIZE = (2700, 4000)
HUGE_POSTER_SIZE = (5000, 7500)
MAX_SENT_SIDE = 512
MAX_SENT_BODY_BYTES = 60_000


def huge_png(width: int, height: int) -> bytes:
    """A poster-like PNG of many megapixels that still compresses to a few megabytes: flat shapes."""
    image = Image.new("RGB", (width, height), (20, 24, 40))
    draw = ImageDraw.Draw(image)
    draw.ellipse((width // 5, height // 6, width * 4 // 5, height // 2), fill=(200, 40, 40))
    draw.rectangle((0, height * 3 // 4, width, height), fill=(240, 230, 200))
    return encode(image, "PNG", compress_level=1)


def jpeg_heavy_with_metadata() -> bytes:
    """A small poster whose file is mostly metadata: a long comment and a large colour profile."""
    return encode(poster_art(300, 450, seed=6), "JPEG", quality=85, comment=b"x" * 60_000,
                  icc_profile=bytes(range(256)) * 400)


@pytest.fixture(scope="session")
def files(tmp_path_factory):
    """Files a person might choose, all generated: no real poster enters the repository."""
    directory = tmp_path_factory.mktemp("files")
    contents = {
        "poster.jpg": encode(poster_art(300, 450, seed=1), "JPEG", quality=90),
        "another-poster.png": encode(poster(320, 480, seed=2), "PNG"),
        "large-poster.jpg": encode(poster(*LARGE_POSTER_SIZE, seed=3), "JPEG", quality=95),
        "huge-poster.png": huge_png(*HUGE_POSTER_SIZE),
        "metadata-heavy.jpg": jpeg_heavy_with_metadata(),
        "noise.png": encode(poster(MAX_SENT_SIDE, MAX_SENT_SIDE * 3 // 2, seed=7), "PNG"),
        "notes.txt": b"A thriller is a genre of fiction with numerous, often overlapping, subgenres.\n",
        "broken.jpg": b"\xff\xd8\xff\xe0 this is not really a JPEG",
    }
    for name, data in contents.items():
        (directory / name).write_bytes(data)
    return {name: directory / name for name in contents}


def expected_percent(probability: float) -> int:
    return math.floor(probability * 100 + 0.5)  # JavaScript's Math.round, not banker's rounding


def expect_answer_shown(page, result: dict):
    """The page shows the API's answer: its verdict in words, and its probability as a chance or as a score."""
    expect(page.locator("#verdict")).to_have_text(HEADLINES[result["certainty"]])
    percent = expected_percent(result["probability"])
    if result["verdict"] == "not a poster":
        expect(page.locator("#chance")).to_be_hidden()
    elif "base_rate" in result.get("unavailable", []):
        expect(page.locator("#chance-text")).to_contain_text(f"{percent} out of 100")
    else:
        expect(page.locator("#chance-text")).to_contain_text(f"{percent}% chance")


def sent_image(request) -> tuple[str, Image.Image]:
    media_type, _, encoded = json.loads(request.post_data_buffer)["data"].partition(";base64,")
    return media_type, Image.open(io.BytesIO(base64.b64decode(encoded)))


def drop_link(page, url: str):
    """What the browser does when a link or an image is dragged from another tab: no file, only its address."""
    page.evaluate(
        """(url) => {
          const transfer = new DataTransfer();
          transfer.setData("text/uri-list", url);
          transfer.setData("text/plain", url);
          const target = document.querySelector("h1");
          for (const type of ["dragenter", "dragover", "drop"]) {
            target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
          }
        }""",
        url)


def paste_file(page, name: str, data: bytes, media_type: str):
    page.evaluate(
        """({name, encoded, mediaType}) => {
          const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, {type: mediaType}));
          document.body.dispatchEvent(
            new ClipboardEvent("paste", {bubbles: true, cancelable: true, clipboardData: transfer}));
        }""",
        {"name": name, "encoded": base64.b64encode(data).decode(), "mediaType": media_type})


def intercept_file_chooser(page):
    """Playwright turns file chooser interception on without waiting for Chromium to confirm it, so
    a chooser opened right after `expect_file_chooser` may escape it: turn it on before the page loads."""
    page.on("filechooser", lambda chooser: None)


def poster_asked_with_predict_held(page, url, files) -> list:
    """The page with a poster chosen, whose question waits in the returned list until continued."""
    held = []
    page.route("**/predict", lambda route: held.append(route))
    page.goto(url)
    page.set_input_files("#poster-input", files["poster.jpg"])
    poster_ready(page)
    wait_until_held(page, held)
    return held


def test_a_poster_chosen_with_the_file_picker_is_previewed_and_answered_at_once(page, site, files, artifacts_dir):
    page.goto(site["live"])

    result = choose_and_read_answer(page, files["poster.jpg"])

    expect(page.get_by_role("img", name=re.compile("poster.jpg"))).to_be_visible()
    expect_answer_shown(page, result)
    screenshot = artifacts_dir / "answered-page.png"
    page.screenshot(path=screenshot, full_page=True)
    print(f"screenshot of the answered page: {screenshot}")


def test_the_shipped_model_gives_the_whole_answer_with_where_it_looked(page, site):
    page.goto(site["live"])
    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        page.get_by_role("button", name="Night Shift").click()
    result = response_info.value.json()

    assert "unavailable" not in result, "the local endpoint should serve our model's full answer"
    expect_answer_shown(page, result)
    expect(page.locator("#chance-text")).to_contain_text("about 1 film in")
    expect(page.locator("#genre-list li")).to_have_count(3)
    expect(page.locator("#genre-list li").first).to_contain_text(result["genres"][0]["genre"])
    page.get_by_role("button", name="Show where the model looked").press("Enter")
    expect(page.locator("#evidence-map")).to_be_visible()
    expect(page.locator("#evidence-description")).to_contain_text("pushed")


def test_asking_runs_without_script_errors_or_content_security_policy_violations(page, site, files):
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(site["live"])
    choose_and_read_answer(page, files["large-poster.jpg"])
    expect(page.locator("#verdict")).to_be_visible()

    with page.expect_response(lambda response: is_predict_post(response.request)):
        page.get_by_role("button", name="Night Shift").click()
    expect(page.get_by_role("img", name=re.compile("Night Shift"))).to_be_visible()
    assert problems == []


def test_the_page_as_published_works_under_its_narrowed_content_security_policy(page, published_site, files):
    problems = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.goto(published_site)
    assert "connect-src 'self' http://127.0.0.1:" in page.content(), "not the published index.html"

    expect_answer_shown(page, choose_and_read_answer(page, files["huge-poster.png"]))
    with page.expect_response(lambda response: is_predict_post(response.request)):
        page.get_by_role("button", name="Moon Garden").click()
    expect(page.get_by_role("img", name=re.compile("Moon Garden"))).to_be_visible()

    assert problems == []


def test_a_poster_dropped_on_the_page_is_previewed_and_answered_at_once(page, site, files):
    page.goto(site["live"])
    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        drop_file(page, "dropped.png", files["another-poster.png"].read_bytes(), "image/png")

    expect(page.get_by_role("img", name=re.compile("dropped.png"))).to_be_visible()
    expect_answer_shown(page, response_info.value.json())


def test_a_pasted_poster_is_previewed_and_answered_at_once(page, site, files):
    page.goto(site["live"])
    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        paste_file(page, "pasted.jpg", files["poster.jpg"].read_bytes(), "image/jpeg")

    expect(page.get_by_role("img", name=re.compile("pasted.jpg"))).to_be_visible()
    expect_answer_shown(page, response_info.value.json())


def test_a_large_poster_is_sent_as_a_small_jpeg_of_at_most_512_px(page, site, files):
    large_poster = files["large-poster.jpg"]
    assert large_poster.stat().st_size > 1_000_000, "the test needs a poster of megabytes"
    request = request_sent_for(page, site["live"], large_poster)
    media_type, sent = sent_image(request)

    assert len(request.post_data_buffer) <= MAX_SENT_BODY_BYTES
    assert media_type == "data:image/jpeg" and sent.format == "JPEG"
    assert max(sent.size) == MAX_SENT_SIDE
    width, height = LARGE_POSTER_SIZE
    assert sent.size[0] == pytest.approx(width * MAX_SENT_SIDE / height, abs=1)
    expect(page.locator("#verdict")).to_be_visible()


def test_the_preview_shows_the_image_the_model_is_sent(page, site, files):
    request = request_sent_for(page, site["live"], files["large-poster.jpg"])
    _, sent = sent_image(request)

    shown = page.locator("#poster-preview").evaluate("image => [image.naturalWidth, image.naturalHeight]")
    assert tuple(shown) == sent.size
    expect(page.locator("#poster-caption")).to_contain_text(f"{sent.size[0]} × {sent.size[1]} pixels sent")
    expect(page.locator("#poster-caption")).to_contain_text("shrunk from 2700 × 4000")


def test_a_huge_png_is_prepared_when_chosen_with_a_progress_state(page, site, files):
    release_the_worker = hold_the_worker(page)
    page.goto(site["live"])
    page.set_input_files("#poster-input", files["huge-poster.png"])

    expect(page.locator("#poster-form")).to_have_attribute("data-poster", "preparing")
    expect(page.locator("#progress")).to_be_visible()
    expect(page.locator("#progress")).to_contain_text("Preparing the poster")
    with page.expect_request(is_predict_post) as request_info:
        release_the_worker()
    expect(page.locator("#verdict")).to_be_visible()
    expect(page.locator("#progress")).to_be_hidden()
    request = request_info.value
    _, sent = sent_image(request)

    assert max(sent.size) == MAX_SENT_SIDE
    assert len(request.post_data_buffer) <= MAX_SENT_BODY_BYTES


def test_where_no_worker_can_draw_the_poster_is_prepared_in_place_and_answered(page, site, files):
    page.add_init_script("delete window.OffscreenCanvas;")
    page.goto(site["live"])

    request = request_sent_for(page, site["live"], files["large-poster.jpg"])

    _, sent = sent_image(request)
    assert max(sent.size) == MAX_SENT_SIDE
    expect(page.locator("#verdict")).to_be_visible()


def test_a_chosen_poster_is_asked_about_once_as_soon_as_it_is_prepared(page, site, files):
    sent = record_predict_requests(page)
    release_the_worker = hold_the_worker(page)
    page.goto(site["live"])
    page.set_input_files("#poster-input", files["huge-poster.png"])
    expect(page.locator("#poster-form")).to_have_attribute("data-poster", "preparing")
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    assert sent == []

    release_the_worker()

    expect(page.locator("#verdict")).to_be_visible()
    expect(ask_button(page)).to_be_visible()
    assert len(sent) == 1


def test_cancel_while_the_poster_is_prepared_sends_nothing_once_it_is_ready(page, site, files):
    sent = record_predict_requests(page)
    release_the_worker = hold_the_worker(page)
    page.goto(site["live"])
    page.set_input_files("#poster-input", files["huge-poster.png"])

    page.get_by_role("button", name="Cancel").click()

    expect(page.get_by_role("status")).to_have_text(re.compile("^Cancelled"))
    expect(page.locator("#notice")).to_contain_text("Cancelled")
    release_the_worker()
    poster_ready(page)
    expect(ask_button(page)).to_be_enabled()
    page.wait_for_timeout(500)  # room for a request the page should not send
    assert sent == []


def test_choosing_another_poster_while_one_is_prepared_never_shows_the_first(page, site, files):
    page.add_init_script("""document.addEventListener("DOMContentLoaded", () => {
      window.previewsShown = [];
      const preview = document.getElementById("poster-preview");
      new MutationObserver(() => { if (preview.alt) window.previewsShown.push(preview.alt); })
        .observe(preview, {attributes: true, attributeFilter: ["alt"]});
    });""")
    release_the_worker = hold_the_worker(page)
    page.goto(site["live"])
    page.set_input_files("#poster-input", files["poster.jpg"])
    page.set_input_files("#poster-input", files["huge-poster.png"])

    release_the_worker()  # the small first poster would be ready long before the huge second one

    poster_ready(page)
    expect(page.get_by_role("img", name=re.compile("huge-poster.png"))).to_be_visible()
    assert [alt for alt in page.evaluate("window.previewsShown") if "poster.jpg" in alt] == []


def test_choosing_a_file_that_is_not_an_image_while_a_poster_is_prepared_leaves_only_the_refusal(page, site, files):
    hold_the_worker(page)
    page.goto(site["live"])
    page.set_input_files("#poster-input", files["huge-poster.png"])
    expect(page.locator("#progress")).to_contain_text("Preparing the poster")

    page.set_input_files("#poster-input", files["notes.txt"])

    expect(page.get_by_role("alert")).to_contain_text("“notes.txt” is not an image")
    expect(page.locator("#progress")).to_be_hidden()
    expect(page.locator("#poster-form")).to_have_attribute("data-poster", "none")
    expect(page.get_by_role("button", name="Cancel")).to_be_hidden()
    expect(page.get_by_role("button", name="Choose a poster")).to_be_enabled()


@pytest.mark.parametrize("name", ["metadata-heavy.jpg", "noise.png", "large-poster.jpg", "huge-poster.png"])
def test_every_request_stays_under_60_kb_whatever_the_file(page, site, files, name):
    request = request_sent_for(page, site["live"], files[name])

    assert len(request.post_data_buffer) < MAX_SENT_BODY_BYTES
    expect(page.locator("#verdict")).to_be_visible()


def test_a_small_jpeg_heavy_with_metadata_is_encoded_again(page, site, files):
    metadata_heavy = files["metadata-heavy.jpg"]
    assert metadata_heavy.stat().st_size > 100_000, "the test needs a file mostly made of metadata"
    request = request_sent_for(page, site["live"], metadata_heavy)
    _, sent = sent_image(request)

    assert sent.size == (300, 450)
    assert "comment" not in sent.info, "the metadata was sent along"
    assert len(request.post_data_buffer) < metadata_heavy.stat().st_size / 2


def test_a_small_jpeg_poster_is_sent_unchanged(page, site, files):
    request = request_sent_for(page, site["live"], files["poster.jpg"])
    media_type, _, encoded = json.loads(request.post_data_buffer)["data"].partition(";base64,")

    assert media_type == "data:image/jpeg"
    assert base64.b64decode(encoded) == files["poster.jpg"].read_bytes()


def test_a_small_png_poster_is_sent_as_jpeg(page, site, files):
    request = request_sent_for(page, site["live"], files["another-poster.png"])
    media_type, sent = sent_image(request)

    assert media_type == "data:image/jpeg" and sent.format == "JPEG"
    assert sent.size == Image.open(files["another-poster.png"]).size


def test_the_button_is_disabled_with_a_spinner_and_a_cancel_button_while_waiting(page, site, files):
    held = poster_asked_with_predict_held(page, site["live"], files)

    expect(ask_button(page)).to_be_disabled()
    expect(ask_button(page)).to_have_attribute("aria-busy", "true")
    expect(page.locator("#ask-button .spinner")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    expect(page.locator("#progress")).to_contain_text("Asking the model")

    held[0].continue_()
    expect(page.locator("#verdict")).to_be_visible()
    expect(ask_button(page)).to_be_enabled()
    expect(page.locator("#ask-button .spinner")).to_be_hidden()
    expect(page.get_by_role("button", name="Cancel")).to_be_hidden()


def test_cancel_while_waiting_drops_the_question_and_returns_to_the_button(page, site, files):
    held = poster_asked_with_predict_held(page, site["live"], files)

    page.get_by_role("button", name="Cancel").click()
    held[0].continue_()

    expect(ask_button(page)).to_be_enabled()
    expect(ask_button(page)).to_be_focused()
    expect(page.get_by_role("status")).to_have_text(re.compile("^Cancelled"))
    expect(page.locator("#notice")).to_be_visible()
    expect(page.locator("#notice")).to_contain_text("Cancelled")
    expect(page.locator("#answer")).to_be_hidden()
    expect(page.get_by_role("alert")).to_be_hidden()
    page.unroute("**/predict")
    expect_answer_shown(page, ask_and_read_answer(page))


def test_pressing_the_button_again_while_waiting_sends_no_second_question(page, site, files):
    sent = record_predict_requests(page)
    held = poster_asked_with_predict_held(page, site["live"], files)

    ask_button(page).focus()
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    held[0].continue_()

    expect(page.locator("#verdict")).to_be_visible()
    expect(ask_button(page)).to_be_enabled()
    assert len(sent) == 1


def test_keyboard_focus_stays_on_the_button_while_waiting_and_after_the_answer(page, site, files):
    page.goto(site["live"])
    choose_and_read_answer(page, files["poster.jpg"])
    held = []
    page.route("**/predict", lambda route: held.append(route))

    ask_button(page).focus()
    page.keyboard.press("Enter")
    wait_until_held(page, held)
    expect(ask_button(page)).to_be_focused()
    held[0].continue_()

    expect(page.locator("#verdict")).to_be_visible()
    expect(ask_button(page)).to_be_focused()
    assert page.evaluate("document.activeElement.tagName") != "BODY"


def test_choosing_another_poster_while_waiting_drops_the_pending_question_and_asks_the_new_one(page, site, files):
    held = poster_asked_with_predict_held(page, site["live"], files)
    first_question = held[0]

    page.set_input_files("#poster-input", files["another-poster.png"])
    expect(page.get_by_role("img", name=re.compile("another-poster.png"))).to_be_visible()
    wait_until_held(page, held, count=2)
    first_question.continue_()

    assert first_question.request.response() is None, "the page did not abandon the first question"
    expect(page.locator("#answer")).to_be_hidden()
    expect(page.get_by_role("alert")).to_be_hidden()
    assert len(held) == 2, "the new poster was not asked about"
    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        held[1].continue_()
    expect_answer_shown(page, response_info.value.json())
    expect(page.get_by_role("img", name=re.compile("another-poster.png"))).to_be_visible()


def test_choosing_another_poster_clears_the_last_answer(page, site, files):
    page.goto(site["live"])
    choose_and_read_answer(page, files["poster.jpg"])
    expect(page.locator("#answer")).to_be_visible()
    held = []
    page.route("**/predict", lambda route: held.append(route))

    page.set_input_files("#poster-input", files["another-poster.png"])

    expect(page.get_by_role("img", name=re.compile("another-poster.png"))).to_be_visible()
    wait_until_held(page, held)
    expect(page.locator("#answer")).to_be_hidden()


@pytest.mark.parametrize("name", ["notes.txt", "broken.jpg"])
def test_a_file_that_is_not_an_image_is_refused_in_words_and_not_sent(page, site, files, name):
    sent = record_predict_requests(page)
    page.goto(site["live"])
    page.set_input_files("#poster-input", files[name])

    expect(page.get_by_role("alert")).to_contain_text(f"“{name}”")
    expect(page.get_by_role("alert")).to_contain_text("image")
    expect(page.locator("#poster-preview")).to_be_hidden()
    expect(ask_button(page)).to_be_hidden()
    page.wait_for_timeout(300)  # room for a request the page should not send
    assert sent == []


def test_a_4xx_answer_is_blamed_on_this_image_in_plain_words_without_codes(page, site, files):
    def send_a_body_that_is_not_an_image(route):
        route.continue_(post_data=json.dumps({"data": "data:image/jpeg;base64,bm90IGFuIGltYWdl"}))

    page.route("**/predict", send_a_body_that_is_not_an_image)
    page.goto(site["live"])

    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        page.set_input_files("#poster-input", files["poster.jpg"])

    assert response_info.value.status == 400
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("could not read this image")
    for internal in [response_info.value.json()["error"], response_info.value.json()["message"], "400", "HTTP"]:
        expect(alert).not_to_contain_text(internal)
    expect(page.locator("#answer")).to_be_hidden()


def test_a_model_endpoint_that_is_down_is_told_as_the_model_not_answering_with_try_again(
        page, site_with_endpoint_down, files):
    page.goto(site_with_endpoint_down)

    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        page.set_input_files("#poster-input", files["poster.jpg"])

    assert response_info.value.status == 503
    expect(page.locator("#error-text")).to_have_text(re.compile("The model is not answering right now"))
    expect(page.locator("#error-text")).not_to_contain_text("connection")
    expect(page.get_by_role("alert")).not_to_contain_text(response_info.value.json()["message"])
    expect(page.get_by_role("button", name="Try again")).to_be_visible()
    expect(ask_button(page)).to_be_enabled()


def test_a_model_endpoint_that_times_out_is_told_as_the_model_not_answering(page, site, files):
    page.route("**/predict", lambda route: route.fulfill(
        status=504, content_type="application/json", headers={"Access-Control-Allow-Origin": "*"},
        body=json.dumps({"error": "EndpointTimeout", "message": "the model endpoint did not answer in time"})))
    page.goto(site["live"])

    page.set_input_files("#poster-input", files["poster.jpg"])

    expect(page.locator("#error-text")).to_have_text(re.compile("The model is not answering right now"))


def test_try_again_repeats_the_last_question(page, fake_site, fake_endpoint, files):
    fake_endpoint.fail(503, "ServiceUnavailable")
    first = request_sent_for(page, fake_site, files["poster.jpg"])
    expect(page.get_by_role("alert")).to_be_visible()

    fake_endpoint.behaviour = Behaviour(body=VERDICT_ANSWERS["hard to tell"])
    with page.expect_request(is_predict_post) as again:
        page.get_by_role("button", name="Try again").click()

    assert again.value.post_data_buffer == first.post_data_buffer
    expect(page.locator("#verdict")).to_have_text(HEADINGS["hard to tell"])
    expect(page.get_by_role("alert")).to_be_hidden()
    assert len(fake_endpoint.invocations) == 2


def test_an_error_on_a_phone_is_scrolled_into_view_and_focused(browser, fake_site, fake_endpoint, files):
    context, page = a_page_with(browser, "phone-light")
    try:
        fake_endpoint.fail(503, "ServiceUnavailable")
        page.goto(fake_site)

        page.set_input_files("#poster-input", files["poster.jpg"])

        alert = page.get_by_role("alert")
        expect(alert).to_be_focused()
        expect(alert).to_be_in_viewport(ratio=1)
    finally:
        context.close()


def test_an_error_answer_without_a_json_message_is_told_in_plain_words(page, site, files):
    page.route("**/predict", lambda route: route.fulfill(
        status=502, content_type="text/html", body="<html><body>Bad Gateway</body></html>",
        headers={"Access-Control-Allow-Origin": "*"}))
    page.goto(site["live"])

    page.set_input_files("#poster-input", files["poster.jpg"])

    expect(page.get_by_role("alert")).to_contain_text("failed to answer this time")
    expect(page.get_by_role("alert")).not_to_contain_text("502")


@pytest.mark.parametrize("body", ["null", "[0.2, 0.8]", "0.8", '{"label": "thriller/crime", "probability": 0.7}',
                                  '{"verdict": "maybe", "probability": 0.5}',
                                  '{"verdict": "toString", "probability": 0.5}',
                                  '{"verdict": "thriller/crime", "probability": 1.7}'])
def test_an_ok_answer_of_the_wrong_shape_is_reported_in_words(page, site, files, body):
    page.route("**/predict", lambda route: route.fulfill(
        status=200, content_type="application/json", body=body, headers={"Access-Control-Allow-Origin": "*"}))
    page.goto(site["live"])

    page.set_input_files("#poster-input", files["poster.jpg"])

    expect(page.locator("#error-text")).to_have_text(
        "The service sent an answer this page cannot read. Try again later.")
    expect(page.locator("#answer")).to_be_hidden()
    expect(ask_button(page)).to_be_enabled()


def test_an_unreachable_api_is_blamed_on_the_connection(page, site, files):
    page.goto(site["api-down"])

    page.set_input_files("#poster-input", files["poster.jpg"])

    expect(page.get_by_role("alert")).to_contain_text(re.compile("cannot reach the service: check your connection",
                                                                 re.IGNORECASE))
    expect(ask_button(page)).to_be_enabled()


def test_an_api_that_does_not_answer_is_given_up_after_30_seconds(page, site, files):
    held = []
    page.clock.install()
    page.route("**/predict", lambda route: held.append(route))
    page.goto(site["live"])
    page.set_input_files("#poster-input", files["poster.jpg"])
    wait_until_held(page, held)
    expect(ask_button(page)).to_be_disabled()

    page.clock.run_for(29_000)
    expect(page.get_by_role("alert")).to_be_hidden()
    page.clock.run_for(2_000)

    expect(page.get_by_role("alert")).to_contain_text("30 seconds")
    expect(ask_button(page)).to_be_enabled()


def test_a_page_without_config_says_it_is_not_set_up(page, site, files):
    sent = record_predict_requests(page)
    page.goto(site["unconfigured"])

    expect(page.get_by_role("alert")).to_contain_text("config.js")
    page.set_input_files("#poster-input", files["poster.jpg"])
    poster_ready(page)
    expect(page.get_by_role("alert")).to_contain_text("config.js")
    ask_button(page).click()
    expect(page.get_by_role("alert")).to_contain_text("config.js")
    page.get_by_role("button", name="Night Shift").click()
    expect(page.get_by_role("img", name=re.compile("Night Shift"))).to_be_visible()
    expect(page.get_by_role("alert")).to_contain_text("config.js")
    expect(ask_button(page)).to_be_enabled()
    assert sent == []


@pytest.mark.parametrize("key", ["Enter", "Space"])
def test_the_picker_opens_from_the_keyboard_with_enter_and_space(page, site, files, key):
    intercept_file_chooser(page)
    page.goto(site["live"])

    page.keyboard.press("Tab")
    choose = page.get_by_role("button", name="Choose a poster")
    expect(choose).to_be_focused()
    assert choose.evaluate("button => getComputedStyle(button).outlineStyle") != "none", "no focus ring"
    with page.expect_file_chooser() as chooser_info:
        page.keyboard.press(key)
    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        chooser_info.value.set_files(files["poster.jpg"])

    expect_answer_shown(page, response_info.value.json())


def test_ask_again_works_from_the_keyboard(page, site, files):
    page.goto(site["live"])
    choose_and_read_answer(page, files["poster.jpg"])

    ask_button(page).focus()
    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        page.keyboard.press("Enter")

    expect_answer_shown(page, response_info.value.json())


def test_clicking_the_drop_zone_opens_the_file_picker(page, site, files):
    intercept_file_chooser(page)
    page.goto(site["live"])

    with page.expect_file_chooser() as chooser_info:
        page.locator("#drop-zone").get_by_text("drop an image anywhere").click()
    chooser_info.value.set_files(files["poster.jpg"])

    expect(page.get_by_role("img", name=re.compile("poster.jpg"))).to_be_visible()


def test_the_answer_is_announced_once_in_the_status_line(page, site, files):
    page.goto(site["live"])

    result = choose_and_read_answer(page, files["poster.jpg"])

    verdict = page.locator("#verdict")
    expect(verdict).to_be_visible()
    status = page.get_by_role("status")
    expect(status).to_contain_text(verdict.text_content())
    if result["verdict"] != "not a poster" and "base_rate" not in result.get("unavailable", []):
        expect(status).to_contain_text(f"{expected_percent(result['probability'])}% chance")
    expect(status).to_have_attribute("aria-live", "polite")
    assert page.locator("[aria-live]").count() == 1, "the answer would be read out twice"


def test_a_link_dropped_on_the_page_is_refused_in_words_and_not_sent(page, site):
    sent = record_predict_requests(page)
    page.goto(site["live"])

    drop_link(page, f"{site['live']}poster.jpg")

    expect(page.get_by_role("alert")).to_contain_text("Drop an image file")
    expect(page.locator("#poster-preview")).to_be_hidden()
    expect(page.locator("body")).not_to_have_class(re.compile("is-dragging"))
    expect(ask_button(page)).to_be_hidden()
    assert sent == []


def test_the_page_fits_a_phone_screen_in_the_dark_colour_scheme(browser, site, files, artifacts_dir):
    context, page = a_page_with(browser, "phone-dark")
    try:
        page.goto(site["live"])
        expect_answer_shown(page, choose_and_read_answer(page, files["poster.jpg"]))

        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        red, green, blue = (int(part) for part in re.findall(r"\d+", background)[:3])
        assert max(red, green, blue) < 80, f"dark scheme background is {background}"
        page.screenshot(path=artifacts_dir / "answered-page-phone-dark.png", full_page=True)
    finally:
        context.close()
