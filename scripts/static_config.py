"""The page's config.js: the one place the static site learns the API's URL."""
import json


def render_config_js(api_url: str) -> str:
    config = {"apiUrl": api_url.rstrip("/")}
    return f"window.APP_CONFIG = {json.dumps(config)};\n"
