"""Run every benchmark in bench/ and write their figures to bench/RESULTS.md (`make bench`).

    .venv/bin/python bench/run_all.py [NAME ...]

Each bench/*.py script runs in its own interpreter, its output shown as it comes. A script's
figures are its last line of the form `RESULT {json}`: "benchmark", "summary" (one line), and
optionally "target", "verdict" and "table" (a list of rows, each a flat JSON object). A script
that prints no RESULT line is summarised by its `target:` lines, its output kept in full.
Exits non-zero when a script fails; a missed target is a figure, not a failure.
"""
import argparse
import contextlib
import datetime
import json
import os
import platform
import signal
import subprocess
import sys
import threading
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
RESULTS_PATH = BENCH_DIR / "RESULTS.md"
RESULT_PREFIX = "RESULT "
SCRIPT_TIMEOUT_S = 20 * 60
STOP_GRACE_S = 10
ORDER = ["bytes_on_wire", "api_overhead", "cold_start", "model_latency", "end_to_end", "page_responsiveness"]


def benchmark_scripts(names: list[str]) -> list[Path]:
    scripts = sorted((path for path in BENCH_DIR.glob("*.py") if path.name != Path(__file__).name),
                     key=lambda path: (ORDER.index(path.stem) if path.stem in ORDER else len(ORDER), path.stem))
    if names:
        unknown = set(names) - {path.stem for path in scripts}
        if unknown:
            raise SystemExit(f"error: no benchmark named {', '.join(sorted(unknown))} in {BENCH_DIR}")
        scripts = [path for path in scripts if path.stem in names]
    return scripts


def descendants(pid: int) -> list[int]:
    """Every living process below pid, read from /proc: the servers a script starts through
    devkit.servers.running_process sit in sessions of their own, outside the script's group."""
    children = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parent = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(stat.parent.name))
    found, pending = [], [pid]
    while pending:
        below = children.get(pending.pop(), [])
        found += below
        pending += below
    return found


def signal_groups(groups: set[int], signal_number: int) -> None:
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal_number)


def stop_script(process: subprocess.Popen) -> None:
    """SIGINT first, so the script's `with` blocks stop the servers they started; after a grace
    period SIGKILL the script's process group and every group led by a process below it."""
    below = descendants(process.pid)
    groups = {process.pid}
    for pid in below:
        with contextlib.suppress(ProcessLookupError):
            groups.add(os.getpgid(pid))
    groups &= {process.pid, *below}  # only groups this script's processes lead
    signal_groups({process.pid}, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=STOP_GRACE_S)
    signal_groups(groups, signal.SIGKILL)
    process.wait()


def echo_lines(stream, lines: list[str]) -> None:
    for line in stream:
        print(line, end="", flush=True)
        lines.append(line.rstrip("\n"))


def run(script: Path, timeout_s: float) -> dict:
    """Run one script, echoing its output; return its RESULT (or a summary built from its output)."""
    print(f"\n=== {script.name}", flush=True)
    process = subprocess.Popen([sys.executable, str(script)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
    lines = []
    reader = threading.Thread(target=echo_lines, args=(process.stdout, lines), daemon=True)
    reader.start()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        stop_script(process)
        reader.join(timeout=STOP_GRACE_S)
        print(f"\n{script.name} stopped: still running after {timeout_s:g} s", flush=True)
        return {"benchmark": script.stem, "summary": f"failed: still running after {timeout_s:g} s, stopped",
                "verdict": "FAILED", "failed": True}
    reader.join(timeout=STOP_GRACE_S)  # a process the script left behind may hold the pipe open
    results = [line[len(RESULT_PREFIX):] for line in lines if line.startswith(RESULT_PREFIX)]
    if process.returncode != 0:
        last = next((line for line in reversed(lines) if line.strip()), "no output")
        return {"benchmark": script.stem, "summary": f"failed (exit {process.returncode}): {last}",
                "verdict": "FAILED", "failed": True}
    if results:
        try:
            return {"benchmark": script.stem, **json.loads(results[-1])}
        except json.JSONDecodeError as error:
            return {"benchmark": script.stem, "summary": f"unreadable RESULT line: {error}", "verdict": "FAILED",
                    "failed": True}
    targets = [line.strip() for line in lines if line.strip().startswith("target:")]
    verdict = next((word for word in ("MISSED", "met") if any(line.endswith(word) for line in targets)), None)
    return {"benchmark": script.stem, "summary": "; ".join(targets) or "(no RESULT line; output below)",
            "verdict": verdict, "output": [line for line in lines if line.strip()]}


def cell(value) -> str:
    text = "-" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(rows: list[dict]) -> list[str]:
    columns = list(dict.fromkeys(key for row in rows for key in row))
    lines = ["| " + " | ".join(cell(column) for column in columns) + " |",
             "|" + "|".join("---" for _ in columns) + "|"]
    lines += ["| " + " | ".join(cell(row.get(column)) for column in columns) + " |" for row in rows]
    return lines


def render(results: list[dict], load_average: float) -> str:
    measured = datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
    lines = ["# Benchmark results", "",
             f"Written by `make bench` (bench/run_all.py) on {measured}: {os.cpu_count()} CPUs, "
             f"{platform.machine()}, {platform.system()}, Python {platform.python_version()}, "
             f"load average {load_average:.1f} when it began. Figures vary with the machine and its load; "
             "ratios are measured within one run.", "",
             "## Summary", ""]
    lines += markdown_table([{"benchmark": result["benchmark"], "result": result.get("summary"),
                              "target": result.get("target"), "verdict": result.get("verdict")}
                             for result in results])
    for result in results:
        if result.get("table") or result.get("output"):
            lines += ["", f"## {result['benchmark']}", ""]
        if result.get("table"):
            lines += markdown_table(result["table"])
        if result.get("output"):
            lines += ["```text", *result["output"], "```"]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="benchmarks to run (file names without .py; default all)")
    parser.add_argument("--timeout", type=float, default=SCRIPT_TIMEOUT_S,
                        help="seconds a script may run before it is stopped and counted failed (default %(default)s)")
    args = parser.parse_args()
    load_average = os.getloadavg()[0]
    results = [run(script, args.timeout) for script in benchmark_scripts(args.names)]
    RESULTS_PATH.write_text(render(results, load_average))
    print(f"\nwrote {RESULTS_PATH.relative_to(PROJECT_ROOT)}")
    for result in results:
        print(f"  {result['benchmark']:<16} {result.get('verdict') or '':<7} {result.get('summary')}")
    if any(result.get("failed") for result in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
