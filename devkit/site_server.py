"""The static site served to Chromium on a loopback port, and how Chromium is started: shared by the browser tests
and the page benchmarks."""
import contextlib
import functools
import http.server
import threading
from pathlib import Path

from devkit.servers import PROJECT_ROOT, free_port

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
}


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


@contextlib.contextmanager
def serving(handler, directory: Path):
    """Serve `directory` with `handler` on a free loopback port, in a thread; yield the root URL (no slash)."""
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", free_port()), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def serving_site(config_js_by_variant: dict[str, str | None]):
    return serving(type("Handler", (SiteHandler,), {"config_js_by_variant": config_js_by_variant}), STATIC_DIR)
