"""The local feedback store of `make run` (scripts/local_store.py): the same AWS calls as deployed, and what it keeps
survives a restart; what DynamoDB's TTL or the S3 lifecycle would have deleted does not."""
import base64
import subprocess
import sys
import time

import pytest

from chalicelib.settings import load_feedback_settings
from devkit.servers import free_port, local_store_command, running_process, stage_environment
from scripts.local_store import local_session

LOCAL = load_feedback_settings(stage_environment("local"))


def running_store(journal):
    port = free_port()
    return (running_process(local_store_command("127.0.0.1", port, journal), f"http://127.0.0.1:{port}/moto-api/"),
            f"http://127.0.0.1:{port}")


def clients(url):
    session = local_session()
    return {service: session.client(service, endpoint_url=url) for service in ("dynamodb", "s3", "ssm")}


def put_answer(dynamodb, prediction, expires_at):
    dynamodb.put_item(TableName=LOCAL.table, ConditionExpression="attribute_not_exists(prediction)", Item={
        "prediction": {"S": prediction}, "model_version": {"S": "m"}, "verdict": {"S": "thriller/crime"},
        "probability": {"N": "0.7"}, "answer": {"S": "yes"}, "agreement": {"S": "agrees"},
        "image_sha256": {"S": "ab" * 32}, "predicted_at": {"N": "1"}, "answered_at": {"N": "2"},
        "expires_at": {"N": str(expires_at)}})


def key_of(ssm) -> str:
    return ssm.get_parameter(Name=LOCAL.key_parameter, WithDecryption=True)["Parameter"]["Value"]


def test_answers_posters_and_the_key_survive_a_restart_and_expired_records_do_not(tmp_path):
    journal = tmp_path / "journal.jsonl"
    store, url = running_store(journal)
    with store:
        aws = clients(url)
        key = key_of(aws["ssm"])
        assert len(base64.b64decode(key)) == 32
        put_answer(aws["dynamodb"], "kept", int(time.time()) + 3600)
        put_answer(aws["dynamodb"], "past-its-ttl", int(time.time()) - 1)
        aws["s3"].put_object(Bucket=LOCAL.bucket, Key=f"{LOCAL.image_prefix}kept.jpg", Body=b"\xff\xd8\xffposter")
    store, url = running_store(journal)
    with store:
        aws = clients(url)
        assert key_of(aws["ssm"]) == key
        items = aws["dynamodb"].scan(TableName=LOCAL.table)["Items"]
        assert [item["prediction"]["S"] for item in items] == ["kept"]
        body = aws["s3"].get_object(Bucket=LOCAL.bucket, Key=f"{LOCAL.image_prefix}kept.jpg")["Body"].read()
        assert body == b"\xff\xd8\xffposter"
        with pytest.raises(aws["dynamodb"].exceptions.ConditionalCheckFailedException):
            put_answer(aws["dynamodb"], "kept", int(time.time()) + 3600)


def test_the_report_reads_the_local_store_without_make_run(tmp_path):
    journal = tmp_path / "journal.jsonl"
    store, url = running_store(journal)
    with store:
        put_answer(clients(url)["dynamodb"], "one", int(time.time()) + 3600)
    size = journal.stat().st_size
    report = subprocess.run([sys.executable, "scripts/feedback_report.py", "--stage", "local", "--journal",
                             str(journal)], capture_output=True, text=True, timeout=120)
    assert report.returncode == 0, report.stderr
    assert f"Stage local: 1 answers in {LOCAL.table}" in report.stdout
    assert journal.stat().st_size == size


def test_the_report_says_so_when_nothing_was_kept_locally_yet(tmp_path):
    report = subprocess.run([sys.executable, "scripts/feedback_report.py", "--stage", "local", "--journal",
                             str(tmp_path / "none.jsonl")], capture_output=True, text=True, timeout=120)
    assert report.returncode == 1 and "No local feedback yet" in report.stderr


def test_restarting_the_store_adds_nothing_to_the_journal(tmp_path):
    journal = tmp_path / "journal.jsonl"
    for _ in range(2):
        store, _url = running_store(journal)
        with store:
            pass
        lines = journal.read_text().splitlines()
    store, _url = running_store(journal)
    with store:
        pass
    assert journal.read_text().splitlines() == lines


def test_a_last_line_cut_short_by_a_kill_mid_write_is_dropped_and_the_rest_kept(tmp_path):
    journal = tmp_path / "journal.jsonl"
    store, url = running_store(journal)
    with store:
        put_answer(clients(url)["dynamodb"], "kept", int(time.time()) + 3600)
    with open(journal, "a") as handle:
        handle.write('{"at": 1, "method": "PO')
    store, url = running_store(journal)
    with store:
        items = clients(url)["dynamodb"].scan(TableName=LOCAL.table)["Items"]
        assert [item["prediction"]["S"] for item in items] == ["kept"]
    assert all(line.endswith("}") for line in journal.read_text().splitlines())
