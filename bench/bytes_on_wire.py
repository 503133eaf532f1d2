"""Bytes the page sends per poster, against what the original page sent, measured in Chromium.

    .venv/bin/python bench/bytes_on_wire.py [--seeds 3]

The real page (static/) runs in headless Chromium; a generated poster of 300, 1,000 and 4,000 px
height (2:3) is chosen through its file input, which asks at once. The POST body is captured
on its way to the API (Playwright answers it with a canned prediction, so no server is needed).
The original page's body, `{"data": canvas.toDataURL()}` of the poster drawn at full size, is
computed in the same browser. Medians over --seeds different posters per size.
Target: at most 60 KB per request whatever the poster's size.
"""
import argparse
import base64
import io
import json
import statistics
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from PIL import Image  # noqa: E402

from chalicelib.answers import parse_endpoint_answer, prediction_answer  # noqa: E402
from chalicelib.settings import load_settings  # noqa: E402
from devkit.endpoint_answers import VERDICT_ANSWERS  # noqa: E402
from devkit.images import encode, poster_art  # noqa: E402
from devkit.servers import free_port  # noqa: E402
from devkit.site_server import CHROMIUM, CHROMIUM_ARGS, serving_site  # noqa: E402
from scripts.static_config import render_config_js  # noqa: E402

HEIGHTS = (300, 1000, 4000)
TARGET_BYTES = 60_000
LAMBDA_PAYLOAD_BYTES = 6_000_000
CANNED_ANSWER = prediction_answer(parse_endpoint_answer(VERDICT_ANSWERS["thriller/crime"], class_count=2),
                                  load_settings({"SAGEMAKER_ENDPOINT_NAME": "bench"}), explain=True)
"""What the API answers the page for our endpoint's thriller/crime answer, evidence included."""
CORS_HEADERS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST,OPTIONS",
                "Access-Control-Allow-Headers": "Content-Type"}
ORIGINAL_PAGE_BODY = """async (jpegBase64) => {
  const image = new Image();
  image.src = "data:image/jpeg;base64," + jpegBase64;
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = image.naturalWidth;
  canvas.height = image.naturalHeight;
  canvas.getContext("2d").drawImage(image, 0, 0);
  return JSON.stringify({data: canvas.toDataURL()}).length;
}"""


def sent_image_size(body: bytes) -> str:
    data = json.loads(body)["data"]
    image = Image.open(io.BytesIO(base64.b64decode(data.split(",", 1)[-1])))
    return f"{image.format} {image.width}x{image.height}"


def measure(browser, site_url: str, api_url: str, poster_file: bytes) -> tuple[int, int, str]:
    """(bytes the page sends, bytes the original page sent, what the page's image is)."""
    sent = []

    def fake_api(route):
        if route.request.method == "OPTIONS":
            route.fulfill(status=204, headers=CORS_HEADERS)
            return
        sent.append(route.request.post_data_buffer)
        route.fulfill(status=200, headers=CORS_HEADERS, content_type="application/json",
                      body=json.dumps(CANNED_ANSWER))

    context = browser.new_context()
    try:
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.route(f"{api_url}/predict", fake_api)
        page.goto(site_url)
        with page.expect_response(f"{api_url}/predict"):  # choosing a poster asks at once
            page.locator("#poster-input").set_input_files(
                files=[{"name": "poster.jpg", "mimeType": "image/jpeg", "buffer": poster_file}])
        if len(sent) != 1:
            raise SystemExit(f"error: the page sent {len(sent)} requests for one poster")
        original = page.evaluate(ORIGINAL_PAGE_BODY, base64.b64encode(poster_file).decode())
    finally:
        context.close()
    return len(sent[0]), original, sent_image_size(sent[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=3, help="different posters per size (default %(default)s)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        raise SystemExit(f"error: {CHROMIUM} is missing: run `make chromium` (apt-get install -y chromium)")
    if not (PROJECT_ROOT / "static" / "app.js").exists():
        raise SystemExit("error: static/app.js is missing: there is no page to measure")
    from playwright.sync_api import sync_playwright

    api_url = f"http://127.0.0.1:{free_port()}"  # never reached: Playwright answers every call to it
    rows = {}
    with serving_site({"bench": render_config_js(api_url)}) as root:
        site_url = f"{root}/bench/index.html"
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            for height in HEIGHTS:
                width = round(height * 2 / 3)
                runs = [measure(browser, site_url, api_url,
                                encode(poster_art(width, height, seed=seed), "JPEG", quality=95))
                        for seed in range(args.seeds)]
                rows[height] = {"poster": f"{width}x{height}",
                                "page_bytes": int(statistics.median(run[0] for run in runs)),
                                "original_bytes": int(statistics.median(run[1] for run in runs)),
                                "largest_page_bytes": max(run[0] for run in runs), "sent_image": runs[0][2]}
            browser.close()

    print(f"request body per poster, median of {args.seeds} generated posters per size (Chromium):")
    print(f"  {'poster':>10}  {'page sends':>12}  {'original sent':>14}  {'ratio':>7}  page's image")
    table = []
    for row in rows.values():
        ratio = row["page_bytes"] / row["original_bytes"]
        over_limit = "  (over Lambda's 6 MB)" if row["original_bytes"] > LAMBDA_PAYLOAD_BYTES else ""
        print(f"  {row['poster']:>10}  {row['page_bytes'] / 1000:9.1f} KB  {row['original_bytes'] / 1000:11.1f} KB"
              f"  {ratio:7.4f}  {row['sent_image']}{over_limit}")
        table.append({"poster": row["poster"], "page sends (KB)": round(row["page_bytes"] / 1000, 1),
                      "original page sent (KB)": round(row["original_bytes"] / 1000, 1),
                      "ratio": round(ratio, 4), "page's image": row["sent_image"]})
    largest = max(row["largest_page_bytes"] for row in rows.values())
    verdict = "met" if largest <= TARGET_BYTES else "MISSED"
    print(f"target: at most {TARGET_BYTES / 1000:.0f} KB per request: the largest of all "
          f"{len(HEIGHTS) * args.seeds} was {largest / 1000:.1f} KB: {verdict}")
    biggest_original = max(rows.values(), key=lambda row: row["original_bytes"])
    print("RESULT " + json.dumps({
        "benchmark": "bytes_on_wire", "target": f"<= {TARGET_BYTES // 1000} KB per request", "verdict": verdict,
        "summary": f"largest request {largest / 1000:.1f} KB; the original page sent "
                   f"{biggest_original['original_bytes'] / 1e6:.1f} MB for a {biggest_original['poster']} poster",
        "table": table}))


if __name__ == "__main__":
    main()
