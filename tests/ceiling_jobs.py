"""Jobs for the decoding worker that misbehave on purpose, for tests/test_decode_ceiling.py (the worker
imports a job by its module and name, so they live in a module of light imports)."""
import hashlib
import os
import signal
import time

from chalicelib.decode_budget import ImageTooLarge
from chalicelib.image_decoding import UndecodableImage


def echo(data: bytes) -> bytes:
    return data


def allocate(data: bytes, size: int) -> bytes:
    return bytes(size)[:len(data)]


def spin(data: bytes) -> bytes:
    """Minutes of CPU inside one C call, which no deadline checked between reads interrupts."""
    return hashlib.pbkdf2_hmac("sha256", data, b"salt", 10**9)


def sleep(data: bytes, seconds: float) -> bytes:
    time.sleep(seconds)
    return data


def crash(data: bytes, signal_name: str) -> bytes:
    os.kill(os.getpid(), signal.Signals[signal_name])
    return data


def refuse_as_too_large(data: bytes) -> bytes:
    raise ImageTooLarge("image is too large: so it is")


def refuse_as_undecodable(data: bytes) -> bytes:
    raise UndecodableImage("the data is not an image", "OSError('broken')")


def divide_by_zero(data: bytes) -> bytes:
    return bytes(1 // len(b""))
