"""The static site served on a loopback port, and how Chromium is started: `make run`'s page (as the sync publishes
it), and the page the browser tests and the page benchmarks load."""
import contextlib
import functools
import http.server
import threading
from pathlib import Path

from devkit.servers import PROJECT_ROOT
from scripts.static_config import render_config_js, with_connect_src

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
STATIC_DIR = PROJECT_ROOT / "static"
SITE_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".jpg": "image/jpeg",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
}
"""Explicit types: a module script must be served as JavaScript whatever /etc/mime.types says."""


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serves a folder's files with the site's content types, logging nothing."""

    extensions_map = SITE_CONTENT_TYPES

    def log_message(self, format, *args):
        pass


class SiteHandler(QuietHandler):
    """Serves static/ under /<variant>/, each variant with its own generated config.js (or none)."""

    config_js_by_variant: dict[str, str | None] = {}

    def do_GET(self):
        variant, _, rest = self.path.lstrip("/").partition("/")
        if variant not in self.config_js_by_variant:
            self.send_error(404)
            return
        if rest.split("?", 1)[0] == "config.js":
            self.send_config(self.config_js_by_variant[variant])
            return
        self.path = "/" + rest
        super().do_GET()

    def send_config(self, config_js: str | None):
        if config_js is None:
            self.send_error(404)
            return
        body = config_js.encode()
        self.send_response(200)
        self.send_header("Content-Type", SITE_CONTENT_TYPES[".js"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class PublishedSiteHandler(http.server.SimpleHTTPRequestHandler):
    """static/ as the sync publishes it for one API: config.js pointing the page there, and index.html with a CSP
    that lets it connect only there (the `generated` files); every request logged."""

    extensions_map = SITE_CONTENT_TYPES

    def __init__(self, *args, generated: dict[str, tuple[str, bytes]], **kwargs):
        self.generated = generated
        super().__init__(*args, **kwargs)

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path == "/":
            path = "/index.html"
        if path not in self.generated:
            return super().do_GET()
        content_type, body = self.generated[path]
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def published_site(api_url: str):
    """The handler serving static/ as published for api_url (`make run`'s page)."""
    index_html = with_connect_src((STATIC_DIR / "index.html").read_text(encoding="utf-8"), api_url)
    generated = {"/config.js": (SITE_CONTENT_TYPES[".js"], render_config_js(api_url).encode()),
                 "/index.html": (SITE_CONTENT_TYPES[".html"], index_html.encode())}
    return functools.partial(PublishedSiteHandler, generated=generated)


@contextlib.contextmanager
def serving(handler, directory: Path, host: str = "127.0.0.1", port: int = 0):
    """Serve `directory` with `handler` on host:port (a free port if 0), in a thread, until the block ends; yield
    the root URL (no slash). OSError if the port cannot be listened on."""
    server = http.server.ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def serving_site(config_js_by_variant: dict[str, str | None]):
    return serving(type("Handler", (SiteHandler,), {"config_js_by_variant": config_js_by_variant}), STATIC_DIR)
