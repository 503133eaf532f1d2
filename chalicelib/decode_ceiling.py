"""Decode untrusted bytes in a worker process whose memory and CPU the operating system bounds.

The structure checks (decode_budget) refuse what they can foresee, with a precise message; this is the
ceiling for what they cannot: whatever a decoder or metadata parser does inside one C call, the worker
(chalicelib.decode_worker) runs each job with at most DecodeBudget.ceiling_bytes of new address space
(RLIMIT_AS over what it holds), cpu_seconds and a margin of CPU (ITIMER_PROF, RLIMIT_CPU) and
wall_seconds of wall-clock time here, and only its answer, a few hundred kilobytes at most, comes back.
Its death is the image's refusal, never the caller's: the next job gets a fresh worker.

The worker is a small interpreter started once (about 0.1 s, on the first image) and fed over pipes:
os.pipe and subprocess work in AWS Lambda, where multiprocessing's Pool and Queue do not (they need
/dev/shm), and in the SageMaker container. A pre-started worker costs a few hundred microseconds a job,
where forking the function for each image costs milliseconds (bench/api_overhead.py measures both).
One job at a time per process: a Lambda function serves one request at a time anyway.
"""
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from typing import Callable

from chalicelib.decode_budget import DecodeBudget, ImageTooCostly, ImageTooLarge
from chalicelib.decode_worker import (ANSWER, ANSWER_HEAD, EXITS_AFTER, FAILED, OUT_OF_MEMORY_EXIT,
                                      REFUSED_TOO_COSTLY, REFUSED_TOO_LARGE, REQUEST_HEAD, UNDECODABLE, write_all)
from chalicelib.image_decoding import UndecodableImage

REFUSALS = {REFUSED_TOO_LARGE: ImageTooLarge, REFUSED_TOO_COSTLY: ImageTooCostly}
CPU_SIGNALS = frozenset({signal.SIGPROF, signal.SIGXCPU, signal.SIGKILL})


class DecodeFailed(RuntimeError):
    """The job raised something no image should cause (a bug): the caller's 500, with the worker's words."""


class Worker:
    """One decoding worker and the pipes to it; a new one replaces it whenever it has ended."""

    def __init__(self):
        request_read, self.request_fd = os.pipe()
        self.answer_fd, answer_write = os.pipe()
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(path for path in sys.path if path)}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "chalicelib.decode_worker", str(request_read), str(answer_write)],
            pass_fds=(request_read, answer_write), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            env=environment)
        os.close(request_read)
        os.close(answer_write)
        self.owner = os.getpid()

    def usable(self) -> bool:
        return self.owner == os.getpid() and self.process.poll() is None

    def end(self) -> int:
        """Kill the worker if it still runs; its exit status (negative: the signal that ended it)."""
        if self.process.poll() is None:
            self.process.kill()
        status = self.process.wait()
        for fd in (self.request_fd, self.answer_fd):
            os.close(fd)
        return status


WORKER_LOCK = threading.Lock()
worker: Worker | None = None


def within_ceiling(job: Callable[..., bytes], data: bytes, arguments: dict, budget: DecodeBudget) -> bytes:
    """job(data, **arguments)'s bytes, computed by the decoding worker under the budget's ceiling. job is
    a module-level function; arguments are JSON values. Raises what job raised (ImageTooLarge,
    ImageTooCostly, UndecodableImage: message and detail kept), ImageTooCostly when the worker ran out of
    CPU or wall-clock time, ImageTooLarge when it ran out of memory, UndecodableImage when it died any
    other way (a decoder crash), and DecodeFailed for any other exception."""
    global worker
    header = json.dumps({"job": f"{job.__module__}:{job.__qualname__}", "arguments": arguments,
                         "ceiling_bytes": budget.ceiling_bytes, "cpu_seconds": budget.cpu_seconds}).encode()
    with WORKER_LOCK:
        if worker is None or not worker.usable():
            if worker is not None and worker.owner == os.getpid():
                worker.end()
            worker = Worker()
        current = worker
        try:
            write_all(current.request_fd, REQUEST_HEAD.pack(len(header), len(data)) + header + data)
            answer, flags, timed_out = read_answer(current.answer_fd, budget.wall_seconds)
        except BrokenPipeError:
            answer, flags, timed_out = None, EXITS_AFTER, False
        status = None
        if answer is None or flags & EXITS_AFTER:
            status = current.end()
            worker = None
    return interpret(answer, status, timed_out, budget)


def read_answer(fd: int, wall_seconds: float) -> tuple[bytes | None, int, bool]:
    """(the answer, its flags, whether the wall-clock limit passed first); None when the worker ended."""
    deadline = time.monotonic() + wall_seconds
    received = bytearray()
    while True:
        if len(received) >= ANSWER_HEAD.size:
            length, flags = ANSWER_HEAD.unpack_from(received)
            if len(received) >= ANSWER_HEAD.size + length:
                return bytes(received[ANSWER_HEAD.size:ANSWER_HEAD.size + length]), flags, False
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return None, EXITS_AFTER, True
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            return None, EXITS_AFTER, False
        received += chunk


def interpret(answer: bytes | None, status: int | None, timed_out: bool, budget: DecodeBudget) -> bytes:
    if answer is not None:
        kind, payload = answer[:1], answer[1:]
        if kind == ANSWER:
            return payload
        if kind in REFUSALS:
            raise REFUSALS[kind](payload.decode() or memory_message(budget))
        if kind == UNDECODABLE:
            words = json.loads(payload)
            raise UndecodableImage(words["message"], words["detail"])
        raise DecodeFailed(payload.decode() if kind == FAILED else f"unreadable answer {answer[:40]!r}")
    if timed_out:
        raise ImageTooCostly(f"image is too costly to decode: it took more than {budget.wall_seconds:g} seconds")
    if status is not None and status < 0 and -status in CPU_SIGNALS:
        raise ImageTooCostly(f"image is too costly to decode: it needs more than {budget.cpu_seconds:g} CPU-seconds")
    if status == OUT_OF_MEMORY_EXIT:
        raise ImageTooLarge(memory_message(budget))
    how = f"signal {signal.Signals(-status).name}" if status is not None and status < 0 else f"exit status {status}"
    raise UndecodableImage(f"the data is not an image that can be decoded (the decoder stopped: {how})")


def memory_message(budget: DecodeBudget) -> str:
    return f"image is too large to decode in the {budget.ceiling_bytes / 2**20:,.0f} MB available"
