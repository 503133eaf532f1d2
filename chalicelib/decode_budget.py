"""What decoding an image may cost: the budget, the refusals, and the checks of pixels, memory and CPU.

A pixel cap alone is not enough: the memory a decode needs depends on the mode, the number of rows and
the format's decoder, and the CPU it needs on the file's structure. chalicelib.image_structures reads the
structure before any pixel is decoded and judges it with these checks; chalicelib.decode_ceiling bounds
what the structure cannot tell. The API (chalicelib) and the model endpoint (poster_model) both use them,
so both refuse the same images.
"""
import io
import time
from dataclasses import dataclass

BYTES_PER_PIXEL = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
"""Pillow's storage per pixel; every other mode (RGB included) takes four bytes."""
ROW_BYTES = 16
"""Pillow keeps a pointer and allocation slack per row, which dominates a one-pixel-wide image."""


@dataclass(frozen=True)
class DecodeBudget:
    max_pixels: int = 40_000_000
    memory_bytes: int = 256 * 1024 * 1024
    """Decoder and image together, as estimated from the structure before decoding."""
    cpu_seconds: float = 1.0
    """Thread CPU time for decoding and shrinking: about 3 s of wall time on a 512 MB function's share of a vCPU."""
    ceiling_bytes: int = 288 * 1024 * 1024
    """New address space a job of the decoding worker may map (RLIMIT_AS over what the worker holds): the
    estimate's memory_bytes and a margin for the interpreter's own allocations. With the runtime's 70 to
    100 MB and the worker's own 30 it fits a 512 MB Lambda function whatever the image does."""
    wall_seconds: float = 10.0
    """Wall-clock time for a job of the decoding worker: a 512 MB function runs 1 CPU-second in about 3."""


class ImageRefused(Exception):
    """An image this budget will not decode; message says why, in words for the caller."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class ImageTooLarge(ImageRefused):
    """More pixels, or more memory to decode, than the budget allows."""


class ImageTooCostly(ImageRefused):
    """More CPU to decode than the budget allows."""


@dataclass(frozen=True)
class Structure:
    """What the container says before decoding; format None when the bytes are no format read here."""
    format: str | None = None
    width: int = 0
    height: int = 0
    decoder_bytes: int = 0
    """Memory the format's decoder needs on top of Pillow's image."""


def check_pixels(width: int, height: int, budget: DecodeBudget) -> None:
    if width * height > budget.max_pixels:
        raise ImageTooLarge(f"image is too large: {width}x{height} pixels; "
                            f"at most {budget.max_pixels:,} pixels are accepted")


def decode_bytes(mode: str, size: tuple[int, int], structure: Structure) -> int:
    width, height = size
    return width * height * BYTES_PER_PIXEL.get(mode, 4) + height * ROW_BYTES + structure.decoder_bytes


def check_memory(mode: str, size: tuple[int, int], structure: Structure, budget: DecodeBudget) -> None:
    """Refuse before decoding when Pillow's image of this mode and size, with the decoder's own memory,
    would not fit the budget."""
    needed = decode_bytes(mode, size, structure)
    if needed > budget.memory_bytes:
        raise ImageTooLarge(
            f"image is too large to decode: a {size[0]}x{size[1]} {mode} image needs about "
            f"{needed / 2**20:,.0f} MB; at most {budget.memory_bytes / 2**20:,.0f} MB are available")


class CpuDeadline:
    """Thread CPU time left for one image: decoders run in the calling thread, so this bounds them
    where they hand control back (each read of input) and between strips of shrinking."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.end = time.thread_time() + seconds

    def check(self) -> None:
        if time.thread_time() > self.end:
            raise ImageTooCostly(f"image is too costly to decode: it needs more than {self.seconds:g} CPU-seconds")


class DeadlineReader(io.BytesIO):
    """The image bytes as Pillow reads them, checking the deadline at every block a decoder reads and
    every SMALL_READS_PER_CHECK small reads (header parsers and Python decoders read a few bytes at a
    time; reading the thread's CPU clock costs a system call)."""

    SMALL_READS_PER_CHECK = 32
    SMALL_READ_BYTES = 1024

    def __init__(self, data: bytes, deadline: CpuDeadline):
        super().__init__(data)
        self.deadline = deadline
        self.small_reads = 0

    def read(self, size: int | None = -1) -> bytes:
        self.small_reads += 1
        if size is None or not 0 <= size < self.SMALL_READ_BYTES or self.small_reads >= self.SMALL_READS_PER_CHECK:
            self.small_reads = 0
            self.deadline.check()
        return super().read(size)


def too_costly(what: str) -> ImageTooCostly:
    return ImageTooCostly(f"image is too costly to decode: {what}")
