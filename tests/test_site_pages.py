"""Every page of the site is published like index.html: revalidated on each visit, asking for the site's other
files by their versioned URLs, so a release never leaves a page or a module a year old in a browser's cache."""
import re

from devkit.servers import PROJECT_ROOT
from scripts.static_site.site_files import LONG_CACHE, NO_CACHE, collect_site_files

API_URL = "https://api.example.com/prod"


def published() -> dict:
    return {site_file.key: site_file for site_file in collect_site_files(PROJECT_ROOT / "static", API_URL)}


def test_every_page_is_revalidated_and_every_other_file_long_cached():
    files = published()
    assert {"index.html", "model.html"} <= set(files)
    for key, site_file in files.items():
        expected = NO_CACHE if key.endswith(".html") or key == "config.js" else LONG_CACHE
        assert site_file.cache_control == expected, key


def test_the_modules_and_the_model_page_s_stylesheet_are_asked_for_by_version():
    files = published()
    index = files["index.html"].body.decode()
    for module in ["app.js", "answer.js", "evidence.js", "poster.js", "poster-worker.js", "styles.css"]:
        assert re.search(rf'href="{module}\?v=[0-9a-f]{{12}}"|src="{module}\?v=[0-9a-f]{{12}}"', index), module
    assert re.search(r'href="styles.css\?v=[0-9a-f]{12}"', files["model.html"].body.decode())
