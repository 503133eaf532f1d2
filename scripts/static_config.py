"""What the published page learns about its API: config.js holds the URL, the CSP lets it connect only there."""
import json
import re
from urllib.parse import urlparse

CSP_META = re.compile(r"""(<meta\s[^>]*http-equiv=["']Content-Security-Policy["'][^>]*\scontent=")([^"]*)(")""",
                      re.IGNORECASE)


def render_config_js(api_url: str) -> str:
    config = {"apiUrl": api_url.rstrip("/")}
    return f"window.APP_CONFIG = {json.dumps(config)};\n"


def api_origin(api_url: str) -> str:
    """scheme://host[:port] of api_url, as a CSP source and a browser's Origin spell it."""
    parsed = urlparse(api_url)
    return f"{parsed.scheme}://{parsed.netloc}".lower()


def with_connect_src(index_html: str, api_url: str) -> str:
    """index_html whose Content-Security-Policy lets scripts connect to the page's own origin and the API only.

    A page without a CSP <meta> is returned unchanged: the page decides whether it has a policy at all.
    """
    directive = f"connect-src 'self' {api_origin(api_url)}"

    def rewritten(match: re.Match) -> str:
        directives = [directive if part.split()[0].lower() == "connect-src" else part
                      for part in (part.strip() for part in match[2].split(";")) if part]
        if directive not in directives:
            directives.append(directive)
        return f"{match[1]}{'; '.join(directives)}{match[3]}"

    return CSP_META.sub(rewritten, index_html, count=1)
