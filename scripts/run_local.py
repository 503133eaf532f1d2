"""`make run`: the local model endpoint, the feedback store, the API through `chalice local`, and the page, until
Ctrl-C or SIGTERM.

Ports come from ENDPOINT_PORT (8080), API_PORT (8000), SITE_PORT (8001) and STORE_PORT (8002); HOST (127.0.0.1).
Feedback is kept in LOCAL_STORE_JOURNAL (.local-store/journal.jsonl), so it survives a restart (scripts/local_store.py).
"""
import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time

from devkit.servers import (LOCAL_ENDPOINT_NAME, ServerDidNotStart, chalice_local_command, local_store_command,
                            model_endpoint_command, start, stop, wait_until_ready)
from devkit.site_server import STATIC_DIR, published_site, serving

POLL_S = 0.2
PORT_VARIABLES = {"ENDPOINT_PORT": 8080, "API_PORT": 8000, "SITE_PORT": 8001, "STORE_PORT": 8002}


class Stopped(Exception):
    """SIGINT, SIGTERM or SIGHUP arrived: stop everything and exit 0."""


class StopRequest:
    """Set by the signal handlers, read by the main loop.

    A plain attribute on purpose: a handler runs in the main thread between two bytecodes, so taking any
    lock there (threading.Event.set does) can deadlock against the main thread holding it.
    """

    def __init__(self):
        self.requested = False

    def request(self, *_signal_arguments) -> None:
        self.requested = True


def port_taken_reason(host: str, ports: dict[str, int]) -> str | None:
    """Why the stack cannot listen on its ports, naming the port and its variable; None when all are free.

    Binds as the servers do (SO_REUSEADDR), so only a listening socket counts as taken, not TIME_WAIT.
    """
    seen = {}
    for variable, port in ports.items():
        if port in seen:
            return f"{variable} and {seen[port]} are both {port}: give each server its own port."
        seen[port] = variable
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind((host, port))
            except OSError as error:
                what = "is already in use" if error.errno == errno.EADDRINUSE else f"cannot be used ({error.strerror})"
                return (f"Port {port} ({variable}) on {host} {what}: stop what holds it or choose another, "
                        f"e.g. {variable}={port + 1000 if port < 64000 else port - 1000} make run.")
    return None


def wait_for(url: str, process: subprocess.Popen, name: str, stopping: StopRequest) -> None:
    """Wait until our own process answers url; a stop asked for meanwhile ends the wait, and a server that exits or
    never answers while starting ends the stack, naming it (its log is on our output)."""
    try:
        ready = wait_until_ready(url, process, keep_waiting=lambda: not stopping.requested)
    except ServerDidNotStart as error:
        raise SystemExit(f"{name} {error}; see its log above.")
    if not ready:
        raise Stopped


def main() -> int:
    host = os.environ.get("HOST", "127.0.0.1")
    ports = {variable: int(os.environ.get(variable, default)) for variable, default in PORT_VARIABLES.items()}
    taken = port_taken_reason(host, ports)
    if taken:
        print(f"error: {taken}", file=sys.stderr)
        return 2
    endpoint_url, store_url = f"http://{host}:{ports['ENDPOINT_PORT']}", f"http://{host}:{ports['STORE_PORT']}"
    api_url, site_url = f"http://{host}:{ports['API_PORT']}", f"http://{host}:{ports['SITE_PORT']}"
    env = {key: value for key, value in os.environ.items()
           if key not in ("AWS_PROFILE", "AWS_SESSION_TOKEN")}
    env.update(AWS_ACCESS_KEY_ID="local", AWS_SECRET_ACCESS_KEY="local",
               AWS_DEFAULT_REGION=os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
               AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=endpoint_url, AWS_ENDPOINT_URL_DYNAMODB=store_url,
               AWS_ENDPOINT_URL_S3=store_url, AWS_ENDPOINT_URL_SSM=store_url)
    # The handlers only set a flag: raising from them could cut the cleanup below short, and GNU make
    # forwards SIGTERM, so a group-wide TERM arrives twice.
    stopping = StopRequest()
    for signal_number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signal_number, stopping.request)
    processes, site = [], contextlib.ExitStack()
    try:
        endpoint = start(model_endpoint_command(host, ports["ENDPOINT_PORT"]), env)
        processes.append(endpoint)
        wait_for(f"{endpoint_url}/ping", endpoint, "The model endpoint", stopping)
        store = start(local_store_command(host, ports["STORE_PORT"]), env)
        processes.append(store)
        wait_for(f"{store_url}/moto-api/", store, "The feedback store", stopping)
        api = start(chalice_local_command(host, ports["API_PORT"]), env)
        processes.append(api)
        wait_for(f"{api_url}/health", api, "The API (chalice local)", stopping)
        try:
            site.enter_context(serving(published_site(api_url), STATIC_DIR, host, ports["SITE_PORT"]))
        except OSError as error:
            raise SystemExit(f"error: the page cannot listen on port {ports['SITE_PORT']} (SITE_PORT) of {host}: "
                             f"{error.strerror}.")
        print(f"\nModel endpoint: {endpoint_url}/endpoints/{LOCAL_ENDPOINT_NAME}/invocations"
              f"\nAPI:            {api_url}/predict  {api_url}/feedback"
              f"\nFeedback store: {store_url}  (.venv/bin/python scripts/feedback_report.py --stage local)"
              f"\nPage:           {site_url}/   <- open this"
              f"\nPress Ctrl-C to stop.\n", flush=True)
        while not stopping.requested:
            if any(process.poll() is not None for process in processes):
                raise SystemExit("A server stopped unexpectedly; stopping the rest.")
            time.sleep(POLL_S)
        raise Stopped
    except Stopped:
        print("\nStopping...", flush=True)
        return 0
    finally:
        for process in reversed(processes):
            stop(process)
        site.close()


if __name__ == "__main__":
    sys.exit(main())
