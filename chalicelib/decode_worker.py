"""The decoding worker: a small interpreter of its own that runs one job at a time under per-job limits.

Started by chalicelib.decode_ceiling (python -m chalicelib.decode_worker REQUEST_FD ANSWER_FD); it reads a
job (a module-level function's name, its keyword arguments, the untrusted bytes), lowers its own limits,
runs it, writes one tagged answer and raises the limits again. Before each job:
- RLIMIT_AS: its address space now plus the ceiling, so no allocation, in Python or inside one C call,
  takes it further (the allocation fails: Pillow raises MemoryError, libwebp and libtiff return errors);
- ITIMER_PROF: a SIGPROF, whose default action ends the process, once the job has spent its CPU-seconds
  and a margin, whatever C call it is in; RLIMIT_CPU a second later as a backstop.
After a job that ran out of memory, or one that left the worker holding much more memory than it started
with, the worker says so in its answer and exits, so the next job starts from a fresh one.
"""
import importlib
import json
import math
import os
import resource
import signal
import struct
import sys

from chalicelib.decode_budget import ImageRefused, ImageTooLarge
from chalicelib.image_decoding import UndecodableImage

REQUEST_HEAD = struct.Struct(">II")
"""Request: the JSON header's length and the data's length, then both."""
ANSWER_HEAD = struct.Struct(">IB")
"""Answer: the message's length and flags, then the message (a tag byte and its payload)."""
EXITS_AFTER = 1
ANSWER, REFUSED_TOO_LARGE, REFUSED_TOO_COSTLY, UNDECODABLE, FAILED = b"A", b"L", b"C", b"U", b"F"
CPU_MARGIN_SECONDS = 0.5
"""The SIGPROF comes this long after the budget's CPU-seconds: the decoders' own deadline (CpuDeadline)
stops a job at its budget with a precise message wherever Python code runs."""
OUT_OF_MEMORY_EXIT = 3
"""The worker's exit status when even answering a MemoryError failed."""
RETAINED_BYTES = 64 * 1024 * 1024
"""A worker left holding this much more than it started with exits after answering."""


def read_exactly(fd: int, size: int) -> bytes | None:
    chunks, left = [], size
    while left:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def statm_bytes(field: int) -> int:
    """Field 0 of /proc/self/statm is the address space, field 1 the resident memory, in pages."""
    with open("/proc/self/statm", "rb") as statm:
        return int(statm.read().split()[field]) * os.sysconf("SC_PAGE_SIZE")


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def lower_limits(ceiling_bytes: int, cpu_seconds: float) -> None:
    lower_soft_limit(resource.RLIMIT_AS, statm_bytes(0) + ceiling_bytes)
    lower_soft_limit(resource.RLIMIT_CPU, math.ceil(own_cpu_seconds() + cpu_seconds + CPU_MARGIN_SECONDS + 1))
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds + CPU_MARGIN_SECONDS)


def lower_soft_limit(kind: int, soft: int) -> None:
    """The soft limit only, never above the hard one: raise_limits() lifts it again after the job."""
    hard = resource.getrlimit(kind)[1]
    resource.setrlimit(kind, (soft if hard == resource.RLIM_INFINITY else min(soft, hard), hard))


def raise_limits() -> None:
    signal.setitimer(signal.ITIMER_PROF, 0)
    for kind in (resource.RLIMIT_AS, resource.RLIMIT_CPU):
        resource.setrlimit(kind, (resource.getrlimit(kind)[1],) * 2)


def job_function(name: str):
    module, _, qualified_name = name.partition(":")
    return getattr(importlib.import_module(module), qualified_name)


def job_answer(header: dict, data: bytes) -> tuple[bytes, bool]:
    """(the tagged answer, whether it ran out of memory)."""
    try:
        function = job_function(header["job"])
        lower_limits(header["ceiling_bytes"], header["cpu_seconds"])
        try:
            return ANSWER + function(data, **header["arguments"]), False
        finally:
            raise_limits()
    except ImageRefused as refusal:
        kind = REFUSED_TOO_LARGE if isinstance(refusal, ImageTooLarge) else REFUSED_TOO_COSTLY
        return kind + refusal.message.encode(), False
    except UndecodableImage as error:
        return UNDECODABLE + json.dumps({"message": error.message, "detail": error.detail}).encode(), False
    except MemoryError:
        return REFUSED_TOO_LARGE + b"", True
    except Exception as error:  # a bug: reported to the parent, which raises it
        return FAILED + f"{type(error).__name__}: {error}".encode(), False


def serve(request_fd: int, answer_fd: int) -> None:
    started_resident = statm_bytes(1)
    while (head := read_exactly(request_fd, REQUEST_HEAD.size)) is not None:
        header_size, data_size = REQUEST_HEAD.unpack(head)
        header = json.loads(read_exactly(request_fd, header_size) or b"{}")
        data = read_exactly(request_fd, data_size) if data_size else b""
        answer, out_of_memory = job_answer(header, data or b"")
        del data
        exits = out_of_memory or statm_bytes(1) > started_resident + RETAINED_BYTES
        write_all(answer_fd, ANSWER_HEAD.pack(len(answer), EXITS_AFTER if exits else 0) + answer)
        if exits:
            return


if __name__ == "__main__":
    try:
        serve(int(sys.argv[1]), int(sys.argv[2]))
    except MemoryError:
        os._exit(OUT_OF_MEMORY_EXIT)
