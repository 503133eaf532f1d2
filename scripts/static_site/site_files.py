"""The files of the site as they are published: types, cache headers, config.js and the page's CSP for the API."""
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from scripts.static_config import render_config_js, with_connect_src
from scripts.static_site.errors import SyncError

CONFIG_KEY = "config.js"
INDEX_KEY = "index.html"

# Explicit, because mimetypes answers differently across Python versions and /etc/mime.types.
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
    ".xml": "application/xml",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
    ".avif": "image/avif",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".woff": "font/woff",
    ".woff2": "font/woff2",
}

# Pages (index.html, model.html, any *.html) and config.js are revalidated on every visit. A page asks for every
# other file of the site as NAME?v=<content hash>, so a release changes those URLs and the files themselves can be
# cached for a year.
NO_CACHE = "no-cache"
LONG_CACHE = "public, max-age=31536000, immutable"
NO_CACHE_KEYS = frozenset({INDEX_KEY, CONFIG_KEY})
VERSION_PARAMETER = "v"
"""The query string that names a long-cached file's version: CloudFront's cache key must include it."""
ASSET_REFERENCE = re.compile(r"""(?P<before>(?:src|href)=["'])(?P<key>[^"'?#:]+)(?P<after>["'])""")


@dataclass(frozen=True)
class SiteFile:
    key: str
    body: bytes
    content_type: str
    cache_control: str

    @property
    def md5(self) -> str:
        return hashlib.md5(self.body, usedforsecurity=False).hexdigest()


def collect_site_files(source: Path, api_url: str) -> list[SiteFile]:
    """Every visible file under source, with config.js rendered for api_url instead of any local copy, and an
    index.html whose CSP lets the page connect only to itself and the API."""
    if not (source / INDEX_KEY).is_file():
        raise SyncError(f"{source} holds no {INDEX_KEY}: pass the site's folder with --source.")
    files = [SiteFile(CONFIG_KEY, render_config_js(api_url).encode("utf-8"), CONTENT_TYPES[".js"], NO_CACHE)]
    for path in sorted(source.rglob("*")):
        key = path.relative_to(source).as_posix()
        if not path.is_file() or key == CONFIG_KEY or any(part.startswith(".") for part in key.split("/")):
            continue
        content_type = CONTENT_TYPES.get(path.suffix.lower())
        if content_type is None:
            raise SyncError(f"{path} has an unknown file type {path.suffix or '(none)'!r}: "
                            f"add it to CONTENT_TYPES in scripts/static_site/site_files.py or remove the file.")
        cache_control = NO_CACHE if key in NO_CACHE_KEYS or is_page(key) else LONG_CACHE
        files.append(SiteFile(key, path.read_bytes(), content_type, cache_control))
    return [published_index(file, files, api_url) if is_page(file.key) else file for file in files]


def is_page(key: str) -> bool:
    return key.endswith(".html")


def published_index(index: SiteFile, files: list[SiteFile], api_url: str) -> SiteFile:
    """A page (index.html or another) with each reference to a long-cached file of the site suffixed
    ?v=<its content hash>, and its CSP connect-src narrowed to the API's origin."""
    versions = {file.key: file.md5[:12] for file in files if file.cache_control == LONG_CACHE}

    def versioned(match: re.Match) -> str:
        version = versions.get(match["key"].lstrip("./"))
        if version is None:
            return match[0]
        return f"{match['before']}{match['key']}?{VERSION_PARAMETER}={version}{match['after']}"

    html = with_connect_src(ASSET_REFERENCE.sub(versioned, index.body.decode("utf-8")), api_url)
    return SiteFile(index.key, html.encode("utf-8"), index.content_type, index.cache_control)
