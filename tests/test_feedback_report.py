"""scripts/feedback_report.py: agreement per verdict, the reliability table, shared posters waiting, and the export
that `make model EXTRA_POSTERS=DIR` joins to the training rows only (poster_training/extra_posters.py)."""
import csv
import io

import boto3
import numpy as np
import pytest
from PIL import Image

from devkit.images import poster_jpeg
from devkit.servers import PROJECT_ROOT
from poster_training.extra_posters import joined
from scripts import feedback_report
from scripts import feedback_store as deploy
from tests.aws_like import contract_parameters  # noqa: F401

pytestmark = pytest.mark.usefixtures("contract_parameters")
"""Every AWS call these tests make is checked against the service model (tests/aws_like.py)."""


def record(verdict, answer, probability, agreement, image_sha256="00" * 32, image_key=None, **extra):
    fields = {"prediction": f"p{id(extra)}{probability}{answer}", "model_version": "m1", "verdict": verdict,
              "probability": probability, "answer": answer, "agreement": agreement, "image_sha256": image_sha256,
              "predicted_at": 1, "answered_at": 2, "expires_at": 4_000_000_000, **extra}
    if image_key:
        fields.update(image_key=image_key, image_type="image/jpeg")
    return fields


RECORDS = [
    record("thriller/crime", "yes", 0.81, "agrees"),
    record("thriller/crime", "yes", 0.62, "agrees"),
    record("thriller/crime", "no", 0.55, "disagrees"),
    record("not thriller", "no", 0.05, "agrees"),
    record("not thriller", "not sure", 0.12, "not sure"),
    record("hard to tell", "yes", 0.3, "no decision"),
]


def test_agreement_is_counted_per_verdict_with_an_interval():
    lines = feedback_report.agreement_lines(RECORDS)
    thriller = next(line for line in lines if line.startswith("thriller/crime"))
    assert thriller.split()[1:5] == ["3", "2", "1", "0"] and "67% (95% interval" in thriller
    not_thriller = next(line for line in lines if line.startswith("not thriller"))
    assert not_thriller.split()[2:7] == ["2", "1", "0", "1", "0"] and "100%" in not_thriller
    hard = next(line for line in lines if line.startswith("hard to tell"))
    assert hard.split()[-1] == "-" and hard.split()[-2] == "1"


def test_the_reliability_table_puts_each_yes_or_no_in_its_probability_band():
    lines = feedback_report.reliability_lines(RECORDS)
    rows = {line.split()[0]: line.split()[1:] for line in lines[1:]}
    assert rows["0.8-0.9"] == ["1", "0.81", "100%"]
    assert rows["0.5-0.6"] == ["1", "0.55", "0%"]
    assert rows["0.0-0.1"] == ["1", "0.05", "0%"]
    assert rows["0.1-0.2"] == ["0", "-", "-"]  # "not sure" is no answer to the question
    assert sum(int(row[0]) for row in rows.values()) == 5


def test_the_interval_is_wilsons_wide_for_few_answers_and_narrow_for_many():
    """Reference values worked by hand from Wilson's score formula at 95% (z = 1.96)."""
    assert feedback_report.wilson_interval(2, 3) == pytest.approx((0.2077, 0.9385), abs=1e-4)
    assert feedback_report.wilson_interval(200, 300) == pytest.approx((0.6115, 0.7176), abs=1e-4)


def test_a_poster_answered_both_ways_is_left_out_and_one_answered_twice_the_same_way_kept_once():
    shared = [record("thriller/crime", "yes", 0.7, "agrees", "aa" * 32, "feedback/a.jpg"),
              record("thriller/crime", "yes", 0.7, "agrees", "aa" * 32, "feedback/b.jpg"),
              record("not thriller", "no", 0.1, "agrees", "bb" * 32, "feedback/c.jpg"),
              record("not thriller", "yes", 0.1, "disagrees", "bb" * 32, "feedback/d.jpg"),
              record("not thriller", "not sure", 0.1, "not sure", "cc" * 32, "feedback/e.jpg")]
    posters, conflicting = feedback_report.shared_posters(shared)
    assert [(p.poster_id, p.thriller_or_crime) for p in posters] == [(f"visitor-{'aa' * 10}", 1)]
    assert conflicting == 1


@pytest.fixture
def stage_store(aws):
    assert deploy.main(["--stage", "dev"]) == 0
    settings = deploy.stage_feedback_settings(PROJECT_ROOT, "dev")
    s3 = boto3.client("s3")
    s3.delete_bucket_policy(Bucket=settings.bucket)  # moto speaks plain HTTP (tests/test_feedback_api.py)
    return settings


def put_records(settings, records, images):
    dynamodb, s3 = boto3.client("dynamodb"), boto3.client("s3")
    for fields in records:
        dynamodb.put_item(TableName=settings.table, Item={
            name: {"N": str(value)} if isinstance(value, (int, float)) else {"S": value}
            for name, value in fields.items()})
    for key, data in images.items():
        s3.put_object(Bucket=settings.bucket, Key=key, Body=data)


def test_the_report_prints_agreement_reliability_and_posters_waiting(stage_store, capsys):
    put_records(stage_store, [*RECORDS, record("not thriller", "no", 0.04, "agrees", "dd" * 32, "feedback/d.jpg")],
                {"feedback/d.jpg": poster_jpeg()})
    assert feedback_report.main(["--stage", "dev"]) == 0
    out = capsys.readouterr().out
    assert f"Stage dev: 7 answers in {stage_store.table}" in out
    assert "Reliability" in out and "Shared posters waiting for training: 1 (of 1" in out


def test_export_writes_the_training_sets_format_once(stage_store, tmp_path, capsys):
    png = io.BytesIO()
    Image.new("RGB", (60, 90), (200, 10, 10)).save(png, "PNG")
    put_records(stage_store, [record("thriller/crime", "yes", 0.7, "agrees", "aa" * 32, "feedback/a.jpg"),
                              record("not thriller", "yes", 0.2, "disagrees", "bb" * 32, "feedback/b.png")],
                {"feedback/a.jpg": poster_jpeg(), "feedback/b.png": png.getvalue()})
    export_dir = tmp_path / "visitors"
    assert feedback_report.main(["--stage", "dev", "--export", str(export_dir)]) == 0
    with open(export_dir / "labels.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [{"id": f"visitor-{'aa' * 10}", "thriller_or_crime": "1"},
                    {"id": f"visitor-{'bb' * 10}", "thriller_or_crime": "1"}]
    for row in rows:
        with Image.open(export_dir / "images" / f"{row['id']}.jpg") as image:
            assert image.format == "JPEG"
    assert feedback_report.main(["--stage", "dev", "--export", str(export_dir)]) == 0
    out = capsys.readouterr().out
    assert "Shared posters waiting for training: 0 (of 2" in out and "exported 0 new poster(s)" in out
    assert len((export_dir / "labels.csv").read_text().splitlines()) == 3


def test_a_poster_whose_image_is_gone_is_left_out_of_the_export(stage_store, tmp_path, capsys):
    put_records(stage_store, [record("thriller/crime", "yes", 0.7, "agrees", "aa" * 32, "feedback/a.jpg"),
                              record("not thriller", "no", 0.1, "agrees", "bb" * 32, "feedback/gone.jpg")],
                {"feedback/a.jpg": poster_jpeg()})
    assert feedback_report.main(["--stage", "dev", "--export", str(tmp_path / "visitors")]) == 0
    out = capsys.readouterr().out
    assert "exported 1 new poster(s)" in out and "1 image(s) already deleted" in out
    assert (tmp_path / "visitors" / "labels.csv").read_text().splitlines()[1:] == [f"visitor-{'aa' * 10},1"]


def poster_set(directory, count, genre_names=("Crime", "Drama")):
    (directory / "images").mkdir(parents=True)
    ids = [f"tt{i:04d}" for i in range(count)]
    labels = np.array([i % 2 for i in range(count)])
    genres = np.array([[label, 1 - label] for label in labels], dtype=np.float32)
    for i, poster_id in enumerate(ids):
        (directory / "images" / f"{poster_id}.jpg").write_bytes(poster_jpeg(40, 60, seed=i))
    return ids, labels, genres


def test_exported_posters_join_the_training_rows_only_and_validation_stays_the_same(tmp_path):
    ids, labels, genres = poster_set(tmp_path / "posters", 10)
    train_rows, validation_rows = np.arange(8), np.array([8, 9])
    extra = tmp_path / "visitors"
    (extra / "images").mkdir(parents=True)
    (extra / "labels.csv").write_text("id,thriller_or_crime\nvisitor-a,1\nvisitor-copy,0\n")
    (extra / "images" / "visitor-a.jpg").write_bytes(poster_jpeg(40, 60, seed=99))
    (extra / "images" / "visitor-copy.jpg").write_bytes((tmp_path / "posters" / "images" / "tt0009.jpg").read_bytes())
    posters, all_ids, all_labels, all_genres, all_train = joined(
        tmp_path / "posters", ids, labels, genres, train_rows, validation_rows, str(extra), tmp_path / "cache")
    assert all_ids == [*ids, "visitor-a"]
    assert list(all_train) == [*range(8), 10] and [all_ids[i] for i in validation_rows] == ["tt0008", "tt0009"]
    assert all_labels[10] == 1
    assert list(all_genres[10]) == list(genres[train_rows][labels[train_rows] == 1].mean(axis=0))
    assert (posters / "images" / "visitor-a.jpg").read_bytes() == (extra / "images" / "visitor-a.jpg").read_bytes()


def test_without_extra_posters_nothing_changes(tmp_path):
    ids, labels, genres = poster_set(tmp_path / "posters", 4)
    result = joined(tmp_path / "posters", ids, labels, genres, np.arange(3), np.array([3]), None, tmp_path / "cache")
    assert result[0] == tmp_path / "posters" and result[1] is ids and list(result[4]) == [0, 1, 2]
