"""`make run`: the local model endpoint, the API through `chalice local`, and the page, until Ctrl-C.

Ports come from ENDPOINT_PORT (8080), API_PORT (8000) and SITE_PORT (8001); HOST (127.0.0.1).
"""
import functools
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from scripts.chalice_project import stage_variable
from scripts.static_config import render_config_js

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATIC_DIR = PROJECT_ROOT / "static"
LOCAL_ENDPOINT_NAME = stage_variable(PROJECT_ROOT, "local", "SAGEMAKER_ENDPOINT_NAME")
"""The endpoint the local stage's API invokes (.chalice/config.json)."""
STARTUP_TIMEOUT_S = 60


def wait_for(url: str, process: subprocess.Popen, name: str) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{name} exited with status {process.returncode} while starting; see its log above.")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{name} did not answer {url} within {STARTUP_TIMEOUT_S} s.")


def start(command: list[str], env: dict) -> subprocess.Popen:
    """Each server gets its own process group so that stopping it stops its children too."""
    return subprocess.Popen(command, cwd=PROJECT_ROOT, env=env, start_new_session=True)


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        process.wait()


class StaticSiteHandler(SimpleHTTPRequestHandler):
    """static/ as it is, plus the config.js that points the page at the local API.

    Explicit types: a module script must be served as JavaScript whatever /etc/mime.types says.
    """
    extensions_map = {".html": "text/html", ".css": "text/css", ".js": "text/javascript",
                      ".png": "image/png", ".svg": "image/svg+xml", ".ico": "image/x-icon"}

    def __init__(self, *args, config_js: bytes, **kwargs):
        self.config_js = config_js
        super().__init__(*args, directory=str(STATIC_DIR), **kwargs)

    def do_GET(self):
        if self.path.split("?", 1)[0] != "/config.js":
            return super().do_GET()
        self.send_response(200)
        self.send_header("Content-Type", "text/javascript")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Content-Length", str(len(self.config_js)))
        self.end_headers()
        self.wfile.write(self.config_js)


def serve_site(host: str, port: int, api_url: str) -> ThreadingHTTPServer:
    handler = functools.partial(StaticSiteHandler, config_js=render_config_js(api_url).encode())
    server = ThreadingHTTPServer((host, port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    host = os.environ.get("HOST", "127.0.0.1")
    endpoint_port = int(os.environ.get("ENDPOINT_PORT", 8080))
    api_port = int(os.environ.get("API_PORT", 8000))
    site_port = int(os.environ.get("SITE_PORT", 8001))
    endpoint_url, api_url = f"http://{host}:{endpoint_port}", f"http://{host}:{api_port}"
    site_url = f"http://{host}:{site_port}"
    env = {key: value for key, value in os.environ.items()
           if key not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
               AWS_DEFAULT_REGION=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
               AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=endpoint_url)
    processes, site = [], None
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started in the background
    try:
        endpoint = start([sys.executable, "-m", "poster_model.server", "--host", host,
                          "--port", str(endpoint_port), "--endpoint-name", LOCAL_ENDPOINT_NAME], env)
        processes.append(endpoint)
        wait_for(f"{endpoint_url}/ping", endpoint, "The model endpoint")
        api = start([sys.executable, "-m", "scripts.chalice_local", "local", "--stage", "local", "--no-autoreload",
                     "--host", host, "--port", str(api_port)], env)
        processes.append(api)
        wait_for(f"{api_url}/health", api, "The API (chalice local)")
        site = serve_site(host, site_port, api_url)
        print(f"\nModel endpoint: {endpoint_url}/endpoints/{LOCAL_ENDPOINT_NAME}/invocations"
              f"\nAPI:            {api_url}/predict"
              f"\nPage:           {site_url}/   <- open this"
              f"\nPress Ctrl-C to stop.\n", flush=True)
        while all(process.poll() is None for process in processes):
            time.sleep(0.5)
        raise SystemExit("A server stopped unexpectedly; stopping the rest.")
    except KeyboardInterrupt:
        print("\nStopping...", flush=True)
    finally:
        for process in reversed(processes):
            stop(process)
        if site:
            site.shutdown()


if __name__ == "__main__":
    main()
