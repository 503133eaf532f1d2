"""What a person does on the page, and what the tests check on it, shared by the browser tests."""
import base64

from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from chalicelib.answers import HEADLINES

ASK_BUTTON_NAME = "Ask again"
LOOKS = {
    "desktop-light": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "light"},
    "desktop-dark": {"viewport": {"width": 1280, "height": 800}, "color_scheme": "dark"},
    "phone-light": {"viewport": {"width": 390, "height": 844}, "color_scheme": "light", "device_scale_factor": 2,
                    "is_mobile": True, "has_touch": True},
    "phone-dark": {"viewport": {"width": 390, "height": 844}, "color_scheme": "dark", "device_scale_factor": 2,
                   "is_mobile": True, "has_touch": True},
}
"""Browser context options for each viewport and colour scheme the page must work in."""
HEADINGS = {"thriller/crime": HEADLINES["likely"], "hard to tell": HEADLINES["hard to tell"],
            "not thriller": HEADLINES["unlikely"], "not a poster": HEADLINES["not a poster"]}
"""The heading for each of endpoint_answers.VERDICT_ANSWERS (62 %, 33 %, 8 % and not a poster), in the words of the
API's HEADLINES (which tests/test_docs.py holds to docs/api.md's table): the page says what the API says."""
_axe = Axe()


def is_predict_post(request) -> bool:
    return request.method == "POST" and "/predict" in request.url


def ask_button(page):
    return page.get_by_role("button", name=ASK_BUTTON_NAME)


APP_WIRED = "html[data-ready='true'], html:not(:has(script[src*='app.js']))"
"""A selector, not a script: the page's CSP allows no evaluated strings."""


def waiting_for_the_app(page):
    """page.goto also waits until app.js has wired every control (html[data-ready]): its modules arrive by
    `await import()`, which the load event does not wait for, so a drop or click right after goto could beat them."""
    goto = page.goto

    def goto_and_wait(url, **options):
        response = goto(url, **options)
        page.wait_for_selector(APP_WIRED, state="attached")
        return response

    page.goto = goto_and_wait
    return page


def a_page_with(browser, look: str):
    context = browser.new_context(**LOOKS[look])
    return context, waiting_for_the_app(context.new_page())


def poster_ready(page):
    """The poster is prepared (and, where the page has an API, being asked about)."""
    expect(page.locator("#poster-form")).to_have_attribute("data-poster", "ready")


def hold_the_worker(page):
    """Keep the poster in preparation until the returned function is called: the script of the worker that
    prepares it does not load before then. Call before the page loads."""
    held, released = [], []
    page.route("**/poster-worker.js*", lambda route: route.continue_() if released else held.append(route))

    def release():
        released.append(True)
        for route in held:
            route.continue_()
    return release


def choose_and_read_answer(page, path) -> dict:
    """Choose the file: the page asks at once; return the JSON the API answered."""
    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        page.set_input_files("#poster-input", path)
    return response_info.value.json()


def ask_and_read_answer(page) -> dict:
    """Press "Ask again"; return the JSON the API answered."""
    with page.expect_response(lambda response: is_predict_post(response.request)) as response_info:
        ask_button(page).click()
    return response_info.value.json()


def ask_and_catch_request(page):
    """Press the button; return the request to /predict it sent."""
    with page.expect_request(is_predict_post) as request_info:
        ask_button(page).click()
    return request_info.value


def request_sent_for(page, url: str, path):
    """Load the page and choose the file: the request the page sends for it at once."""
    page.goto(url)
    with page.expect_request(is_predict_post) as request_info:
        page.set_input_files("#poster-input", path)
    return request_info.value


def record_predict_requests(page) -> list:
    requests = []
    page.on("request", lambda request: requests.append(request) if is_predict_post(request) else None)
    return requests


def wait_until_held(page, held: list, count: int = 1):
    """The route handler runs when Playwright next dispatches events: give it the chance."""
    for _ in range(200):
        if len(held) >= count:
            return
        page.wait_for_timeout(50)
    raise AssertionError("the page never sent its request")


def drop_file(page, name: str, data: bytes, media_type: str):
    """What the browser does when a file is dragged from the desktop and let go over the page."""
    page.evaluate(
        """({name, encoded, mediaType}) => {
          const bytes = Uint8Array.from(atob(encoded), (c) => c.charCodeAt(0));
          const transfer = new DataTransfer();
          transfer.items.add(new File([bytes], name, {type: mediaType}));
          const target = document.querySelector("h1");
          for (const type of ["dragenter", "dragover", "drop"]) {
            target.dispatchEvent(new DragEvent(type, {bubbles: true, cancelable: true, dataTransfer: transfer}));
          }
        }""",
        {"name": name, "encoded": base64.b64encode(data).decode(), "mediaType": media_type})


def expect_no_accessibility_violations(page, state: str):
    """axe-core (bundled by axe-playwright-python) finds nothing wrong with the page as it is now."""
    results = _axe.run(page)
    assert results.violations_count == 0, f"axe-core in state {state!r}:\n{results.generate_report()}"
