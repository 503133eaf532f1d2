"""How far the model's answers move between onnxruntime's kernel paths on this CPU: the figures the tests'
tolerances rest on (tests/test_model.py), re-measurable on any machine.

    .venv/bin/python bench/kernel_spread.py [--model PATH] [--posters N]

Three comparisons, each the largest |difference| per output:
  optimised - qdq_in_float   the int8 kernels serving uses against the QDQ nodes evaluated in float, on the
                             generated reference images and on N validation posters (../shared/posters, if present)
  float 1 thread - float     the QDQ-in-float path at 1 thread against the default threads (summation order)
  float 1 ulp - float        the QDQ-in-float path of a copy whose float weights moved by about one unit in the
                             last place (relative 1e-7, seeded): what any difference in float rounding (another
                             CPU's float kernels) does once requantisation flips cascade through the layers
  recorded - qdq_in_float    model/reference_outputs.json (recorded at build time on the build machine's
                             QDQ-in-float path) against this machine's
"""
import argparse
import json
import sys
import tempfile
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import numpy as np  # noqa: E402
import onnx  # noqa: E402

from poster_model.cpu import cpu_model_name, int8_instruction_family  # noqa: E402
from poster_model.predictor import ANSWER_OUTPUTS, DEFAULT_MODEL_PATH, PosterClassifier  # noqa: E402
from poster_model.preprocess import image_bytes_to_input  # noqa: E402
from poster_training.data.reference_images import reference_image_bytes  # noqa: E402
from poster_training.evaluation import run_model  # noqa: E402

SHARED_POSTERS = PROJECT_ROOT.parent / "shared" / "posters"
ULP_SCALE = 1e-7
"""float32's unit in the last place is 1.19e-7 of a value."""


def largest_differences(first: dict, second: dict) -> dict[str, float]:
    return {name: float(np.abs(first[name].astype(np.float64) - second[name].astype(np.float64)).max())
            for name in ANSWER_OUTPUTS}


def compared(paths: dict[str, PosterClassifier], images: np.ndarray, label: str,
             float_outputs: dict[str, np.ndarray]) -> dict[str, dict[str, float]]:
    """Each path's largest differences from the QDQ-in-float outputs on these images, as table rows."""
    return {f"{comparison}, {label}": largest_differences(run_model(classifier.session, images), float_outputs)
            for comparison, classifier in paths.items()}


def moved_one_ulp(model: Path, copy: Path, seed: int = 0) -> Path:
    """The model with every float weight tensor of the backbone (biases and the float convs) multiplied by
    1 + N(0, ULP_SCALE)."""
    rng = np.random.default_rng(seed)
    proto = onnx.load(str(model))
    for initializer in proto.graph.initializer:
        if initializer.data_type == onnx.TensorProto.FLOAT and not initializer.name.startswith("head/"):
            values = onnx.numpy_helper.to_array(initializer)
            moved = (values * (1 + rng.normal(0, ULP_SCALE, values.shape))).astype(np.float32)
            initializer.CopyFrom(onnx.numpy_helper.from_array(moved, initializer.name))
    onnx.save(proto, str(copy))
    return copy


def validation_posters(count: int, height: int, width: int) -> np.ndarray | None:
    if not (SHARED_POSTERS / "labels.csv").exists():
        return None
    from poster_training.posters import load_labels, split_rows
    ids, labels, _, _ = load_labels(SHARED_POSTERS)
    _, validation_rows = split_rows(labels)
    chosen = np.random.default_rng(0).choice(validation_rows, min(count, len(validation_rows)), replace=False)
    return np.concatenate([image_bytes_to_input((SHARED_POSTERS / "images" / f"{ids[row]}.jpg").read_bytes(),
                                                height, width) for row in np.sort(chosen)])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--posters", type=int, default=300, help="validation posters to compare on")
    args = parser.parse_args(argv)
    optimised = PosterClassifier(args.model)
    qdq_in_float = PosterClassifier(args.model, qdq_in_float=True)
    one_thread = PosterClassifier(args.model, threads=1, qdq_in_float=True)
    with tempfile.TemporaryDirectory() as scratch:
        moved = PosterClassifier(moved_one_ulp(args.model, Path(scratch) / "moved.onnx"), qdq_in_float=True)
    print(f"CPU: {cpu_model_name()}; int8 instruction family: {int8_instruction_family()}")
    paths = {"optimised - qdq_in_float": optimised, "float 1 thread - float": one_thread,
             "float 1 ulp - float": moved}
    references = reference_image_bytes()
    names = [name for name, _ in references]
    generated = np.concatenate([image_bytes_to_input(data, optimised.height, optimised.width)
                                for _, data in references])
    float_generated = run_model(qdq_in_float.session, generated)
    recorded = {record["name"]: record for record in
                json.loads((args.model.parent / "reference_outputs.json").read_text())["images"]}
    rows = compared(paths, generated, "reference images", float_generated)
    if set(recorded) == set(names):
        rows["recorded - qdq_in_float, reference images"] = largest_differences(
            {output: np.array([recorded[name][output] for name in names]) for output in ANSWER_OUTPUTS},
            float_generated)
    posters = validation_posters(args.posters, optimised.height, optimised.width)
    if posters is not None:
        rows |= compared(paths, posters, f"{len(posters)} validation posters", run_model(qdq_in_float.session, posters))
    print(f"{'largest |difference|':48s}" + "".join(f"{name[:14]:>16s}" for name in ANSWER_OUTPUTS))
    for label, differences in rows.items():
        print(f"{label:48s}" + "".join(f"{differences[name]:16.6f}" for name in ANSWER_OUTPUTS))
    table = [{"comparison": label, **{name: round(value, 6) for name, value in differences.items()}}
             for label, differences in rows.items()]
    print("RESULT " + json.dumps({"benchmark": "kernel_spread", "table": table, "summary": (
        f"{int8_instruction_family()}: optimised vs QDQ-in-float up to "
        + ", ".join(f"{name} {max(row[name] for row in table if row['comparison'].startswith('optimised')):.4f}"
                    for name in ("thriller_probability", "genre_probabilities")))}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
