"""The whole loop in a real browser: the page answers, the visitor says whether it was right in one tap (sharing
the poster only when ticked), and scripts/feedback_report.py counts it from the local store of `make run`."""
import base64
import csv
import hashlib
import subprocess
import sys

import pytest
from playwright.sync_api import expect

from devkit.images import poster_jpeg
from devkit.servers import free_port, running_chalice_local, running_process
from devkit.site_server import serving_site
from scripts.static_config import render_config_js
from tests.browser.pages import LOOKS, a_page_with, choose_and_read_answer, expect_no_accessibility_violations

QUESTION = "Is this movie a thriller or crime film?"
SHARE_LABEL = "Share this poster image to help improve the model"


@pytest.fixture(scope="module")
def journal(tmp_path_factory):
    return tmp_path_factory.mktemp("store") / "journal.jsonl"


@pytest.fixture(scope="module")
def feedback_site(endpoint_url, journal, tmp_path_factory):
    """The local stack as `make run` wires it: the model endpoint, the journalled store, `chalice local` using both."""
    port = free_port()
    store = f"http://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("feedback-stack")
    with running_process([sys.executable, "-m", "scripts.local_store", "--port", str(port), "--journal",
                          str(journal)], f"{store}/moto-api/", log_path=logs / "store.log"):
        environment = {"AWS_ENDPOINT_URL_DYNAMODB": store, "AWS_ENDPOINT_URL_S3": store,
                       "AWS_ENDPOINT_URL_SSM": store, "SAGEMAKER_MAX_ATTEMPTS": "1"}
        with running_chalice_local(endpoint_url, environment, logs / "api.log") as api:
            with serving_site({"with-feedback-store": render_config_js(api)}) as root:
                yield f"{root}/with-feedback-store/"


@pytest.fixture(scope="module")
def poster(tmp_path_factory):
    path = tmp_path_factory.mktemp("posters") / "poster.jpg"
    path.write_bytes(poster_jpeg())
    return path


def report(journal, *extra) -> str:
    finished = subprocess.run([sys.executable, "scripts/feedback_report.py", "--stage", "local", "--journal",
                               str(journal), *extra], capture_output=True, text=True, timeout=120)
    assert finished.returncode == 0, finished.stderr
    return finished.stdout


def answers_counted(journal) -> int:
    first_line = report(journal).splitlines()[0]
    return int(first_line.split(": ", 1)[1].split()[0])


def is_feedback_post(request) -> bool:
    return request.method == "POST" and request.url.endswith("/feedback")


def question(page):
    return page.get_by_role("group", name=QUESTION)


def sent_image_sha256(request) -> str:
    data_url = request.post_data_json["data"]
    return hashlib.sha256(base64.b64decode(data_url.split(",", 1)[1])).hexdigest()


def test_a_tap_on_yes_is_thanked_and_counted_by_the_report(page, feedback_site, poster, journal):
    before = answers_counted(journal) if journal.exists() else 0
    page.goto(feedback_site)
    result = choose_and_read_answer(page, poster)
    assert result["prediction_id"]
    expect(question(page)).to_be_visible()
    expect(page.get_by_label(SHARE_LABEL)).not_to_be_checked()
    with page.expect_response(lambda response: is_feedback_post(response.request)) as response_info:
        question(page).get_by_role("button", name="Yes", exact=True).click()
    assert response_info.value.status == 200
    assert response_info.value.request.post_data_json == {"prediction_id": result["prediction_id"], "answer": "yes",
                                                           "share_image": False}
    expect(page.get_by_text("Thank you: your answer was kept.")).to_be_focused()
    expect(question(page)).to_be_hidden()
    assert answers_counted(journal) == before + 1
    verdict_row = next(line for line in report(journal).splitlines() if line.startswith(result["verdict"]))
    assert int(verdict_row[len(result["verdict"]):].split()[0]) >= 1


def test_a_shared_poster_waits_for_training_and_is_exported_as_it_was_sent(page, feedback_site, tmp_path, journal):
    unique = tmp_path / "unique.jpg"
    unique.write_bytes(poster_jpeg(300, 450, seed=31))
    page.goto(feedback_site)
    with page.expect_request(lambda request: request.method == "POST" and "/predict" in request.url) as sent:
        page.set_input_files("#poster-input", unique)
    expect(question(page)).to_be_visible()
    page.get_by_label(SHARE_LABEL).check()
    with page.expect_response(lambda response: is_feedback_post(response.request)) as response_info:
        question(page).get_by_role("button", name="No", exact=True).click()
    assert response_info.value.status == 200 and response_info.value.request.post_data_json["share_image"] is True
    expect(page.get_by_text("Thank you: your answer and the poster were kept.")).to_be_visible()
    image_sha256 = sent_image_sha256(sent.value)
    export_dir = tmp_path / "visitors"
    report(journal, "--export", str(export_dir))
    with open(export_dir / "labels.csv", newline="") as handle:
        labels = {row["id"]: row["thriller_or_crime"] for row in csv.DictReader(handle)}
    poster_id = f"visitor-{image_sha256[:20]}"
    assert labels[poster_id] == "0"
    assert hashlib.sha256((export_dir / "images" / f"{poster_id}.jpg").read_bytes()).hexdigest() == image_sha256


def test_the_question_works_from_the_keyboard(page, feedback_site, poster):
    page.goto(feedback_site)
    choose_and_read_answer(page, poster)
    expect(question(page)).to_be_visible()
    page.get_by_label(SHARE_LABEL).focus()
    page.keyboard.press("Shift+Tab")
    expect(question(page).get_by_role("button", name="Not sure")).to_be_focused()
    with page.expect_response(lambda response: is_feedback_post(response.request)):
        page.keyboard.press("Enter")
    expect(page.get_by_text("Thank you: your answer was kept.")).to_be_focused()


@pytest.mark.parametrize("look", ["phone-light", "phone-dark", "desktop-dark"])
def test_the_question_fits_the_layout_and_has_no_accessibility_violations(browser, feedback_site, poster, look):
    context, page = a_page_with(browser, look)
    try:
        page.goto(feedback_site)
        choose_and_read_answer(page, poster)
        expect(question(page)).to_be_visible()
        width = LOOKS[look]["viewport"]["width"]
        for name in ("Yes", "No", "Not sure"):
            box = question(page).get_by_role("button", name=name, exact=True).bounding_box()
            assert box["x"] >= 0 and box["x"] + box["width"] <= width and box["height"] >= 44
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        expect(page.get_by_text("never who you are")).to_be_visible()
        expect_no_accessibility_violations(page, f"feedback offered, {look}")
    finally:
        context.close()


def test_the_answer_is_shown_without_waiting_and_nothing_is_sent_before_a_tap(page, feedback_site, poster):
    sent = []
    page.on("request", lambda request: sent.append(request.url) if is_feedback_post(request) else None)
    page.goto(feedback_site)
    choose_and_read_answer(page, poster)
    expect(page.locator("#verdict")).not_to_be_empty()
    expect(question(page)).to_be_visible()
    page.wait_for_timeout(300)
    assert sent == []


def test_without_a_feedback_store_the_answer_comes_and_no_question_is_asked(page, site, poster):
    page.goto(site["live"])
    result = choose_and_read_answer(page, poster)
    assert "prediction_id" not in result
    expect(page.locator("#verdict")).not_to_be_empty()
    expect(question(page)).to_have_count(0)
