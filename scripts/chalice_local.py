"""`chalice local`, tuned for bursts and keep-alive; run as `python -m scripts.chalice_local local ...`.

Its dev server listens with a backlog of 5 (a burst of concurrent clients gets connection resets)
and sends headers and body in separate writes with Nagle's algorithm on (each keep-alive request
waits ~40 ms for a delayed ACK). Needs --no-autoreload: the reloader's worker would not be patched.
"""
import sys

import chalice.local
from chalice.cli import main

chalice.local.ThreadedHTTPServer.request_queue_size = 1024
chalice.local.ChaliceRequestHandler.disable_nagle_algorithm = True

if __name__ == "__main__":
    sys.argv[0] = "chalice"
    sys.exit(main())
