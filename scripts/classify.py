"""Classify poster images from the command line, one JSON line per image.

    .venv/bin/python scripts/classify.py PATH... [--api URL] [--model PATH]

Folders are searched recursively for image files. Without --api the model runs in this
process; with --api each image goes to a running POST /predict. Each line holds path, verdict,
probability (calibrated), looks_like_a_poster and the top 3 genres; an image that cannot be read
or classified gets an {"path", "error"} line; the exit status is 1 if any image failed.
"""
import argparse
import http.client
import json
import sys
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from chalicelib.answers import NOT_THRILLER, THRILLER, endpoint_verdict, looks_like_a_poster
from poster_model.predictor import PosterClassifier
from poster_model.preprocess import InvalidImageError

TOP_GENRES = 3
IMAGE_CONTENT_TYPES = {
    ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".webp": "image/webp",
    ".gif": "image/gif", ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff",
}


class ClassificationError(Exception):
    """This image could not be classified; the run goes on."""


def find_images(paths: list[Path]) -> list[Path]:
    """Files as given (even without an image extension, so a wrong file is reported), folders searched."""
    found = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*")
                                if p.is_file() and p.suffix.lower() in IMAGE_CONTENT_TYPES))
        else:
            found.append(path)
    return found


class LocalClassifier:
    """The ONNX model in this process."""

    def __init__(self, model_path: Path | None):
        self.classifier = PosterClassifier(model_path)

    def classify(self, path: Path, data: bytes) -> dict:
        try:
            answer = self.classifier.answer_bytes(data)
        except InvalidImageError as error:
            raise ClassificationError(str(error)) from error
        return answer_summary(answer)


def answer_summary(answer: dict | list[float]) -> dict:
    """The line's fields for an endpoint answer (also what scripts/batch_transform.py writes for each image)."""
    if isinstance(answer, list):
        # one probability per CLASS_LABELS entry: not thriller, thriller/crime
        return {"verdict": (NOT_THRILLER, THRILLER)[answer.index(max(answer))], "probability": answer[1]}
    return {"verdict": endpoint_verdict(answer), "probability": answer["thriller_probability"],
            "looks_like_a_poster": looks_like_a_poster(answer), "genres": answer["genres"][:TOP_GENRES]}


class ApiClassifier:
    """A running POST /predict API, sent the raw image bytes."""

    def __init__(self, api_url: str, timeout: float):
        base = api_url.rstrip("/")
        self.predict_url = base if base.endswith("/predict") else base + "/predict"
        self.timeout = timeout

    def classify(self, path: Path, data: bytes) -> dict:
        content_type = IMAGE_CONTENT_TYPES.get(path.suffix.lower(), "application/octet-stream")
        request = urllib.request.Request(self.predict_url, data=data, method="POST",
                                         headers={"Content-Type": content_type, "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                answer = json.load(response)
        except urllib.error.HTTPError as error:
            raise ClassificationError(f"API answered {error.code}: {api_error_message(error)}") from error
        except (OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", error)
            raise ClassificationError(f"cannot reach {self.predict_url}: {reason}") from error
        except ValueError as error:
            raise ClassificationError(f"API answered something that is not JSON: {error}") from error
        try:
            summary = {"verdict": answer["verdict"], "probability": float(answer["probability"])}
        except (KeyError, TypeError, ValueError) as error:
            raise ClassificationError(f"API answer lacks verdict/probability: {str(answer)[:300]}") from error
        if "looks_like_a_poster" in answer:
            summary["looks_like_a_poster"] = answer["looks_like_a_poster"]
        if isinstance(answer.get("genres"), list):
            summary["genres"] = answer["genres"][:TOP_GENRES]
        return summary


def api_error_message(error: urllib.error.HTTPError) -> str:
    body = error.read()
    try:
        return json.loads(body)["message"]
    except (ValueError, KeyError, TypeError):
        return body.decode("utf-8", "replace")[:200] or error.reason


def classify_file(classifier, path: Path) -> dict:
    try:
        data = path.read_bytes()
        summary = classifier.classify(path, data)
    except OSError as error:
        return {"path": str(path), "error": f"cannot read file: {error.strerror or error}"}
    except ClassificationError as error:
        return {"path": str(path), "error": str(error)}
    return {"path": str(path), **summary}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Tell from posters whether movies are thrillers/crime films.")
    parser.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="image files or folders")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--api", metavar="URL", help="classify through this running API (its /predict route)")
    source.add_argument("--model", type=Path, help="ONNX model file (default model/poster_classifier.onnx)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per API call (default %(default)s)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    images = find_images(args.paths)
    if not images:
        print("error: no image files found in " + ", ".join(map(str, args.paths)), file=sys.stderr)
        return 1
    if args.api:
        classifier = ApiClassifier(args.api, args.timeout)
    else:
        try:
            classifier = LocalClassifier(args.model)
        except Exception as error:  # onnxruntime raises its own exception types for missing or broken files
            print(f"error: cannot load the model: {error}", file=sys.stderr)
            return 2
    failures = 0
    for path in tqdm(images, desc="classifying", unit="image", file=sys.stderr, disable=None):
        result = classify_file(classifier, path)
        failures += "error" in result
        tqdm.write(json.dumps(result), file=sys.stdout)
        sys.stdout.flush()
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
