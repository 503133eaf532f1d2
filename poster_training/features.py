"""Pooled backbone features of every poster and its mirror image, computed once per extractor and cached."""
import hashlib
import os
from pathlib import Path

import numpy as np
import onnxruntime
from tqdm import tqdm

from poster_model.preprocess import image_bytes_to_input
from poster_training.backbone import INPUT_HEIGHT, INPUT_WIDTH


def poster_pixels(posters: Path, poster_id: str) -> np.ndarray:
    """(1, H, W, 3) uint8 through the serving preprocessing."""
    return image_bytes_to_input((posters / "images" / f"{poster_id}.jpg").read_bytes(), INPUT_HEIGHT, INPUT_WIDTH)


def extract_pooled_features(extractor: Path, posters: Path, ids: list[str], cache_dir: Path,
                            batch_size: int = 16, flipped: bool = True) -> dict[str, np.ndarray]:
    """{'x': (n, 1840), 'x_flip': (n, 1840)}: channel means of the extractor's feature map (x_flip only if
    flipped: the mirror images the ridge also learns from).

    The cache key is the extractor file's hash and the poster list, so an int8 and a float extractor never mix.
    """
    key = hashlib.sha256(extractor.read_bytes() + f"{flipped}|{','.join(ids)}".encode()).hexdigest()[:16]
    cache_file = cache_dir / f"pooled-{extractor.stem}-{key}.npz"
    if cache_file.exists():
        with np.load(cache_file) as cached:
            return dict(cached)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    session = onnxruntime.InferenceSession(str(extractor), options, providers=["CPUExecutionProvider"])
    collected = {"x": [], "x_flip": []} if flipped else {"x": []}
    for start in tqdm(range(0, len(ids), batch_size), desc=f"features {extractor.stem}", unit="batch"):
        batch = np.concatenate([poster_pixels(posters, poster_id) for poster_id in ids[start:start + batch_size]])
        for name in collected:
            pixels = batch if name == "x" else np.ascontiguousarray(batch[:, :, ::-1])
            collected[name].append(session.run(None, {"image": pixels})[0].mean(axis=(2, 3)))
    features = {name: np.concatenate(parts).astype(np.float32) for name, parts in collected.items()}
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.savez(cache_file, **features)
    return features


def pooled_features_of(extractor: Path, pixels: np.ndarray, cache_dir: Path, batch_size: int = 16) -> np.ndarray:
    """(M, 1840) channel means of the extractor's feature map for model inputs (M, H, W, 3), cached by both."""
    digest = hashlib.sha256(extractor.read_bytes())
    digest.update(np.ascontiguousarray(pixels).tobytes())
    cache_file = cache_dir / f"pooled-{extractor.stem}-images-{digest.hexdigest()[:16]}.npy"
    if cache_file.exists():
        return np.load(cache_file)
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = os.cpu_count() or 1
    session = onnxruntime.InferenceSession(str(extractor), options, providers=["CPUExecutionProvider"])
    features = np.concatenate([session.run(None, {"image": pixels[start:start + batch_size]})[0].mean(axis=(2, 3))
                               for start in tqdm(range(0, len(pixels), batch_size), desc="features of non-posters",
                                                 unit="batch")]).astype(np.float32)
    cache_dir.mkdir(parents=True, exist_ok=True)
    np.save(cache_file, features)
    return features
