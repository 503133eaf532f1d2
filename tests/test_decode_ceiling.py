"""The decode ceiling: jobs done in a worker process that the operating system bounds, whose death is the
image's refusal and never the caller's; and what the API and the model container get through it."""
import io
import os
import resource
import threading

import numpy as np
import pytest
from PIL import Image

from chalicelib import decode_ceiling
from chalicelib.decode_budget import DecodeBudget, ImageTooCostly, ImageTooLarge
from chalicelib.decode_ceiling import DecodeFailed, within_ceiling
from chalicelib.image_decoding import UndecodableImage
from chalicelib.image_normalizing import model_jpeg, normalize_image
from devkit.hostile_images import png_exif_loop
from devkit.images import encode, exif_rotated_jpeg, poster_art, poster_jpeg
from poster_model.preprocess import prepare_image, prepare_untrusted_image
from tests import ceiling_jobs as jobs

BUDGET = DecodeBudget()
QUICK = DecodeBudget(wall_seconds=1.0)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_the_works_bytes_come_back_whole_however_long():
    data = bytes(range(256)) * 24_000  # 6 MB: the largest body, many times a pipe's buffer, both ways
    assert within_ceiling(jobs.echo, data, {}, BUDGET) == data


def test_memory_past_the_ceiling_inside_one_c_call_is_a_refusal_and_the_caller_keeps_its_memory():
    before = peak_mb()
    with pytest.raises(ImageTooLarge, match=r"^image is too large to decode in the 288 MB available$"):
        within_ceiling(jobs.allocate, b"x", {"size": BUDGET.ceiling_bytes + 64 * 2**20}, BUDGET)
    assert peak_mb() - before < 50


def test_memory_within_the_ceiling_is_allowed():
    assert within_ceiling(jobs.allocate, b"abc", {"size": 200 * 2**20}, BUDGET) == bytes(3)


def test_cpu_past_the_limit_inside_one_c_call_ends_the_worker_and_is_a_refusal():
    with pytest.raises(ImageTooCostly, match=r"^image is too costly to decode: it needs more than 1 CPU-seconds$"):
        within_ceiling(jobs.spin, b"poster", {}, BUDGET)
    assert within_ceiling(jobs.echo, b"the next job gets a fresh worker", {}, BUDGET) == (
        b"the next job gets a fresh worker")


def test_a_worker_that_waits_past_the_wall_clock_limit_is_killed_and_refused():
    with pytest.raises(ImageTooCostly, match=r"it took more than 1 seconds$"):
        within_ceiling(jobs.sleep, b"", {"seconds": 30}, QUICK)


@pytest.mark.parametrize("crash", ["SIGSEGV", "SIGABRT"], ids=["segfault", "abort"])
def test_a_decoder_that_crashes_is_an_undecodable_image(crash):
    with pytest.raises(UndecodableImage, match=f"the decoder stopped: signal {crash}"):
        within_ceiling(jobs.crash, b"", {"signal_name": crash}, BUDGET)


def test_refusals_cross_with_their_kind_message_and_detail():
    with pytest.raises(ImageTooLarge, match="^image is too large: so it is$"):
        within_ceiling(jobs.refuse_as_too_large, b"", {}, BUDGET)
    with pytest.raises(UndecodableImage) as error:
        within_ceiling(jobs.refuse_as_undecodable, b"", {}, BUDGET)
    assert (error.value.message, error.value.detail) == ("the data is not an image", "OSError('broken')")


def test_a_bug_in_the_job_is_no_refusal_but_a_failure_naming_it():
    with pytest.raises(DecodeFailed, match="ZeroDivisionError"):
        within_ceiling(jobs.divide_by_zero, b"", {}, BUDGET)


def test_one_worker_serves_job_after_job_and_an_ended_one_is_reaped():
    within_ceiling(jobs.echo, b"", {}, BUDGET)
    first = decode_ceiling.worker.process.pid
    within_ceiling(jobs.echo, b"", {}, BUDGET)
    assert decode_ceiling.worker.process.pid == first
    with pytest.raises(UndecodableImage):
        within_ceiling(jobs.crash, b"", {"signal_name": "SIGSEGV"}, BUDGET)
    assert decode_ceiling.worker is None
    with pytest.raises(ChildProcessError):
        os.waitpid(first, os.WNOHANG)


def test_calls_from_many_threads_each_get_their_own_answer():
    answers = {}

    def call(index: int):
        answers[index] = within_ceiling(jobs.echo, b"%d" % index * 10_000, {}, BUDGET)

    threads = [threading.Thread(target=call, args=(index,)) for index in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == {index: b"%d" % index * 10_000 for index in range(8)}


@pytest.mark.parametrize("data", [poster_jpeg(), encode(poster_art(1_200, 1_800, seed=3), "PNG"),
                                  exif_rotated_jpeg(450, 300)], ids=["page-jpeg", "large-png", "exif-rotated-jpeg"])
def test_the_api_sends_the_model_the_same_bytes_as_decoding_in_process(data):
    assert normalize_image(data, 512, 40_000_000) == model_jpeg(data, 512, 40_000_000)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "TIFF"])
def test_the_container_gives_the_model_byte_identical_input(fmt):
    data = encode(poster_art(600, 900, seed=4), fmt)
    batch, log_aspect = prepare_untrusted_image(data, 390, 260)
    expected_batch, expected_log_aspect = prepare_image(data, 390, 260)
    assert batch.dtype == np.uint8 and batch.tobytes() == expected_batch.tobytes()
    assert batch.shape == expected_batch.shape and log_aspect == expected_log_aspect


def test_the_exif_orientation_is_read_without_pillows_getexif(monkeypatch):
    def no_getexif(self):
        raise AssertionError("getexif called")

    monkeypatch.setattr(Image.Image, "getexif", no_getexif)
    stored_sideways = png_exif_loop()  # 40x60 pixels, Orientation 6 in its first directory
    upright = Image.open(io.BytesIO(model_jpeg(stored_sideways, 512, 40_000_000)))  # the worker's job, in-process
    assert upright.size == (60, 40)
