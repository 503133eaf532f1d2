"""Rebuild model/poster_classifier.onnx, its validation figures and reliability diagram from the posters.

Needs requirements-train.txt (torch CPU build); run: make model, or .venv-train/bin/python scripts/train_model.py
The steps are in poster_training/build.py.
"""
import argparse
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from poster_model.predictor import DEFAULT_MODEL_PATH  # noqa: E402
from poster_training.build import build  # noqa: E402


def main(argv=None) -> int:
    model_dir = DEFAULT_MODEL_PATH.parent
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posters", type=Path, default=REPO_ROOT.parent / "shared" / "posters")
    parser.add_argument("--output", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--metrics", type=Path, default=model_dir / "validation_metrics.json")
    parser.add_argument("--references", type=Path, default=model_dir / "reference_outputs.json")
    parser.add_argument("--reliability-diagram", type=Path, default=model_dir / "reliability_diagram.png")
    parser.add_argument("--cache-dir", type=Path, default=Path("/tmp/poster_features"),
                        help="where the exported backbones and pooled features are cached between runs")
    args = parser.parse_args(argv)
    build(args.posters, args.output, args.metrics, args.references, args.reliability_diagram, args.cache_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
