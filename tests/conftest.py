"""Dummy AWS settings for every test: nothing here may ever reach real AWS, nor write the developer's local feedback."""
import atexit
import os
import shutil
import tempfile
from pathlib import Path

os.environ.update({
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
})
for variable in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME"):
    os.environ.pop(variable, None)

_local_store = tempfile.mkdtemp(prefix="local-store-")
os.environ["LOCAL_STORE_JOURNAL"] = str(Path(_local_store) / "journal.jsonl")
"""`make run` started by a test (devkit/make_run.py, test_run_local.py) keeps its feedback here, not in
.local-store/."""
atexit.register(shutil.rmtree, _local_store, ignore_errors=True)

pytest_plugins = ["tests.moto_server"]
