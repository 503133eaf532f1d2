"""The feedback store for `make run`: DynamoDB, S3 and SSM on a loopback port, kept in a journal file so that
feedback survives a restart, with no AWS account.

    .venv/bin/python -m scripts.local_store [--host 127.0.0.1] [--port 8002] [--journal .local-store/journal.jsonl]

It is moto's server (the AWS protocols, answered as AWS answers them: the same boto3 calls, conditional put and
all, run here and in Lambda) behind a journal: every write AWS would keep (CreateTable, UpdateTimeToLive,
PutItem, PutParameter, any S3 PUT) is appended to the journal once moto has accepted it, and replayed into a
fresh moto at start. moto keeps its state in memory only, so without the journal a restart would forget
everything. At replay, records past their expires_at and shared posters older than the stage's retention are
left out and dropped from the journal, as DynamoDB's TTL and the S3 lifecycle rule would delete them.
Then the stage's table, bucket and key are made with scripts/feedback_store.py's own calls.
"""
import argparse
import base64
import contextlib
import hashlib
import io
import json
import logging
import os
import sys
import threading
import time
from pathlib import Path

import boto3
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server
from werkzeug.test import EnvironBuilder

from chalicelib.settings import FeedbackSettings
from scripts.feedback_store import ensure_bucket, ensure_key, ensure_table, stage_feedback_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_JOURNAL = Path(os.environ.get("LOCAL_STORE_JOURNAL", PROJECT_ROOT / ".local-store" / "journal.jsonl"))
STAGE = "local"
REGION = "us-east-1"
KEPT_TARGETS = frozenset({"DynamoDB_20120810.CreateTable", "DynamoDB_20120810.UpdateTimeToLive",
                          "DynamoDB_20120810.PutItem", "AmazonSSM.PutParameter"})
KEPT_HEADERS = ("Content-Type", "X-Amz-Target", "Authorization", "Host", "X-Amz-Content-SHA256")


def kept(method: str, target: str) -> bool:
    """Writes AWS keeps: the listed JSON-protocol targets, and any S3 PUT (bucket settings, objects)."""
    return target in KEPT_TARGETS if target else method == "PUT"


class JournalledStore:
    """moto's WSGI app; successful writes are appended to the journal, one JSON line each."""

    def __init__(self, journal: Path, keeps_writes: bool = True):
        """keeps_writes False: a read-only view of the journal (the report's), which appends nothing to it."""
        self.app = DomainDispatcherApplication(create_backend_app)
        self.journal = journal
        self.keeps_writes = keeps_writes
        self.lock = threading.Lock()
        self.journalled: set[str] = set()
        """Digests of the writes in the journal: the same write again (the store's setup at each start) is not
        appended twice."""

    def __call__(self, environ, start_response):
        method, target = environ["REQUEST_METHOD"], environ.get("HTTP_X_AMZ_TARGET", "")
        if not (self.keeps_writes and kept(method, target)):
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        statuses = []

        def remember_status(status, headers, exc_info=None):
            statuses.append(int(status.split()[0]))
            return start_response(status, headers, exc_info)

        answer = list(self.app(environ, remember_status))
        if statuses and statuses[0] < 300:
            headers = {name: environ.get("HTTP_" + name.upper().replace("-", "_"), "") for name in KEPT_HEADERS}
            headers["Content-Type"] = environ.get("CONTENT_TYPE", "")
            self.append({"at": time.time(), "method": method, "path": environ.get("PATH_INFO", "/"),
                         "query": environ.get("QUERY_STRING", ""), "headers": headers,
                         "body": base64.b64encode(body).decode("ascii")})
        return answer

    def append(self, entry: dict) -> None:
        digest = write_digest(entry)
        with self.lock, open(self.journal, "a", encoding="utf-8") as handle:
            if digest in self.journalled:
                return
            self.journalled.add(digest)
            handle.write(json.dumps(entry) + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def replay(self, retention_s: float, now: float) -> int:
        """Apply the journal's entries still within retention; rewrite it without the others. Returns how many."""
        if not self.journal.exists():
            return 0
        entries = journal_entries(self.journal)
        current = [entry for entry in entries if not expired(entry, retention_s, now)]
        for entry in current:
            self.journalled.add(write_digest(entry))
            builder = EnvironBuilder(method=entry["method"], path=entry["path"], query_string=entry["query"],
                                     headers={k: v for k, v in entry["headers"].items() if v},
                                     data=base64.b64decode(entry["body"]))
            list(self.app(builder.get_environ(), lambda *_: None))
        if self.keeps_writes and (len(current) != len(entries) or entries.torn):
            temporary = self.journal.with_suffix(".tmp")
            temporary.write_text("".join(json.dumps(entry) + "\n" for entry in current), encoding="utf-8")
            temporary.replace(self.journal)
        return len(current)


class JournalEntries(list):
    torn = False
    """True when the last line was cut short (the store was killed while writing it): that write never answered."""


def journal_entries(journal: Path) -> JournalEntries:
    entries = JournalEntries()
    lines = journal.read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        try:
            entries.append(json.loads(line))
        except ValueError:
            if number != len(lines):
                raise SystemExit(f"{journal}, line {number}, is not a journal entry: the file was changed by hand?")
            entries.torn = True
            print(f"{journal}: its last line was cut short by a stop mid-write; it is dropped", file=sys.stderr)
    return entries


def write_digest(entry: dict) -> str:
    what = (entry["method"], entry["path"], entry["query"], entry["headers"].get("X-Amz-Target", ""), entry["body"])
    return hashlib.sha256(json.dumps(what).encode()).hexdigest()


def expired(entry: dict, retention_s: float, now: float) -> bool:
    """A record past its expires_at (DynamoDB TTL), or an S3 object older than the retention (lifecycle)."""
    target = entry["headers"].get("X-Amz-Target", "")
    if target == "DynamoDB_20120810.PutItem":
        item = json.loads(base64.b64decode(entry["body"])).get("Item", {})
        return "expires_at" in item and float(item["expires_at"]["N"]) < now
    is_object = not target and entry["method"] == "PUT" and entry["path"].strip("/").count("/") >= 1 \
        and not entry["query"]
    return is_object and now - entry["at"] > retention_s


def local_session() -> boto3.session.Session:
    """A session for the local store: it checks no credentials, but boto3 signs every call with some."""
    return boto3.session.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=REGION)


def replayed_store(journal: Path, settings: FeedbackSettings, keeps_writes: bool = True) -> JournalledStore:
    """A fresh store holding what the journal holds within the stage's retention."""
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    store = JournalledStore(journal, keeps_writes)
    store.replay(settings.retention_days * 86400, time.time())
    return store


def serve(store: JournalledStore, host: str, port: int):
    server = make_server(host, port, store, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://{host}:{server.server_address[1]}"


def start_store(host: str, port: int, journal: Path):
    """Replay the journal, make the stage's table, bucket and key, then serve on host:port in a thread; returns
    (server, url). The port answers only once all of that is done, so whoever waits for it finds the store ready."""
    journal.parent.mkdir(parents=True, exist_ok=True)
    settings = stage_feedback_settings(PROJECT_ROOT, STAGE)
    store = replayed_store(journal, settings)
    setup_server, setup_url = serve(store, "127.0.0.1", 0)
    session = local_session()
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            ensure_table(session.client("dynamodb", endpoint_url=setup_url), settings)
            ensure_bucket(session.client("s3", endpoint_url=setup_url), settings, REGION, https_only=False)
            ensure_key(session.client("ssm", endpoint_url=setup_url), settings)
    finally:
        setup_server.shutdown()
    return serve(store, host, port)


@contextlib.contextmanager
def open_journal(journal: Path):
    """What the journal holds, served read-only on a free loopback port until the block ends; yields the URL."""
    store = replayed_store(journal, stage_feedback_settings(PROJECT_ROOT, STAGE), keeps_writes=False)
    server, url = serve(store, "127.0.0.1", 0)
    try:
        yield url
    finally:
        server.shutdown()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8002)
    parser.add_argument("--journal", type=Path, default=DEFAULT_JOURNAL)
    args = parser.parse_args(argv)
    server, url = start_store(args.host, args.port, args.journal)
    print(f"local feedback store {url} (journal {args.journal})", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
