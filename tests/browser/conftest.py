"""The whole stack for browser tests: local endpoint, `chalice local`, the static site, real Chromium.

Two model endpoints stand behind the real API: the local endpoint serving the shipped model, and the fake
SageMaker server of devkit/fake_sagemaker.py, which answers whatever a test tells it to (every verdict
on demand, errors, delays). Every server runs on a free loopback port for the whole session and is always stopped.
"""
import os
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

from devkit.fake_sagemaker import Behaviour, running_fake_sagemaker
from devkit.onnx_models import model_path_for_tests
from devkit.servers import PROJECT_ROOT, free_port, running_chalice_local, running_model_endpoint
from devkit.site_server import CHROMIUM, CHROMIUM_ARGS, STATIC_DIR, QuietHandler, serving, serving_site
from scripts.static_config import render_config_js
from scripts.static_site.site_files import collect_site_files
from tests.browser.pages import waiting_for_the_app

ARTIFACTS_DIR = Path(os.environ.get("BROWSER_TEST_ARTIFACTS", PROJECT_ROOT / "tests" / "artifacts"))
EXPECT_TIMEOUT_MS = 20_000  # the model answers in well under a second; this only bounds a hung test


def closed_port_url() -> str:
    """A loopback URL where nothing listens: the port was free a moment ago and stays unused."""
    return f"http://127.0.0.1:{free_port()}"


@pytest.fixture(scope="session")
def endpoint_url(tmp_path_factory):
    """The local SageMaker-compatible endpoint serving the shipped model (or the tiny stand-in)."""
    directory = tmp_path_factory.mktemp("endpoint")
    with running_model_endpoint(model_path_for_tests(directory), directory / "endpoint.log") as url:
        yield url


API_ENV = {"SAGEMAKER_CONNECT_TIMEOUT": "2", "SAGEMAKER_READ_TIMEOUT": "20", "SAGEMAKER_MAX_ATTEMPTS": "1"}


@pytest.fixture(scope="session")
def api_url(endpoint_url, tmp_path_factory):
    with running_chalice_local(endpoint_url, API_ENV, tmp_path_factory.mktemp("api") / "chalice.log") as url:
        yield url


@pytest.fixture(scope="session")
def api_without_endpoint_url(tmp_path_factory):
    """The real API whose model endpoint is down: it answers 503 with its own message."""
    log_path = tmp_path_factory.mktemp("api-no-endpoint") / "chalice.log"
    with running_chalice_local(closed_port_url(), API_ENV, log_path) as url:
        yield url


@pytest.fixture(scope="session")
def site(api_url):
    """URLs of the page: wired to the real API, to a closed port, and without any config.js."""
    variants = {"live": render_config_js(api_url), "api-down": render_config_js(closed_port_url()),
                "unconfigured": None}
    with serving_site(variants) as root:
        yield {name: f"{root}/{name}/" for name in variants}


@pytest.fixture(scope="session")
def site_with_endpoint_down(api_without_endpoint_url):
    with serving_site({"endpoint-down": render_config_js(api_without_endpoint_url)}) as root:
        yield f"{root}/endpoint-down/"


@pytest.fixture(scope="session")
def fake_endpoint_session():
    with running_fake_sagemaker() as fake:
        yield fake


@pytest.fixture
def fake_endpoint(fake_endpoint_session):
    """The fake SageMaker endpoint, answering the default until a test says otherwise, reset after each test."""
    fake_endpoint_session.behaviour = Behaviour()
    fake_endpoint_session.invocations.clear()
    yield fake_endpoint_session
    fake_endpoint_session.behaviour = Behaviour()


@pytest.fixture(scope="session")
def fake_site(fake_endpoint_session, tmp_path_factory):
    """The page wired to the real API (`chalice local`) whose model endpoint is the fake one."""
    log_path = tmp_path_factory.mktemp("api-fake-endpoint") / "chalice.log"
    with running_chalice_local(fake_endpoint_session.url, API_ENV, log_path) as api:
        with serving_site({"fake-endpoint": render_config_js(api)}) as root:
            yield f"{root}/fake-endpoint/"


@pytest.fixture(scope="session")
def published_site(api_url, tmp_path_factory):
    """static/ as `make deploy-site` publishes it for the real API: versioned asset URLs, the CSP's connect-src
    narrowed to the API's origin, config.js rendered; served from a folder of those very bytes."""
    directory = tmp_path_factory.mktemp("published")
    for site_file in collect_site_files(STATIC_DIR, api_url):
        (directory / site_file.key).parent.mkdir(parents=True, exist_ok=True)
        (directory / site_file.key).write_bytes(site_file.body)
    with serving(QuietHandler, directory) as root:
        yield f"{root}/"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium); "
                    "`make test` does this", pytrace=False)
    expect.set_options(timeout=EXPECT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = waiting_for_the_app(context.new_page())
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    yield page
    context.close()


@pytest.fixture(scope="session")
def artifacts_dir():
    ARTIFACTS_DIR.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS_DIR
