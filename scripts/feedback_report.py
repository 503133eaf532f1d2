"""What visitors said about the model's answers, and the posters they shared, ready for the next model.

    .venv/bin/python scripts/feedback_report.py --stage prod [--region REGION]
    .venv/bin/python scripts/feedback_report.py --stage local            (make run's store; it need not be running)
    .venv/bin/python scripts/feedback_report.py --stage prod --export DIR

Prints how often visitors agree with each verdict, a reliability table (the model's probability against the share
of visitors who said "yes"), and how many shared posters wait to be trained on. --export writes those posters in
the training set's format: DIR/labels.csv (id, thriller_or_crime) and DIR/images/ID.jpg, for
`make model EXTRA_POSTERS=DIR`. Posters already in DIR are kept; a poster visitors labelled both ways is left out.
Reading needs dynamodb:Scan on the table and s3:GetObject on the prefix (the operator's rights, not the function's).
"""
import argparse
import csv
import io
import math
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import boto3
from boto3.dynamodb.types import TypeDeserializer

from chalicelib.feedback import AGREES, ANSWERS, DISAGREES, NO_DECISION, NOT_SURE, VERDICTS
from chalicelib.settings import FeedbackSettings
from scripts.aws_failures import run_reporting_failures
from scripts.chalice_project import ChaliceProjectError
from scripts.feedback_store import FeedbackStoreError, stage_feedback_settings

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCAL_STAGE = "local"
RELIABILITY_BINS = 10
LABELS_FILE = "labels.csv"
LABEL_COLUMNS = ("id", "thriller_or_crime")


@dataclass(frozen=True)
class Poster:
    """A shared poster ready for training: one id per image, the label visitors gave it."""
    poster_id: str
    thriller_or_crime: int
    image_key: str


def records_of(dynamodb, table: str) -> list[dict]:
    deserialize = TypeDeserializer().deserialize
    records = []
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        records += [{name: deserialize(value) for name, value in item.items()} for item in page["Items"]]
    return records


def wilson_interval(successes: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95% interval of a share: honest about how little a handful of answers says."""
    if total == 0:
        return 0.0, 1.0
    share = successes / total
    centre = (share + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(share * (1 - share) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def agreement_lines(records: list[dict]) -> list[str]:
    counts = {verdict: Counter(record["agreement"] for record in records if record["verdict"] == verdict)
              for verdict in VERDICTS}
    lines = [f"{'model said':<16}{'answers':>8}{'agree':>7}{'disagree':>9}{'not sure':>9}{'no decision':>12}"
             f"   visitors agree"]
    for verdict, counted in counts.items():
        decided = counted[AGREES] + counted[DISAGREES]
        if decided:
            low, high = wilson_interval(counted[AGREES], decided)
            share = f"{counted[AGREES] / decided:.0%} (95% interval {low:.0%}-{high:.0%})"
        else:
            share = "-" if verdict not in ("thriller/crime", "not thriller") else "no yes/no answers yet"
        lines.append(f"{verdict:<16}{sum(counted.values()):>8}{counted[AGREES]:>7}{counted[DISAGREES]:>9}"
                     f"{counted[NOT_SURE]:>9}{counted[NO_DECISION]:>12}   {share}")
    return lines


def reliability_lines(records: list[dict]) -> list[str]:
    """Per band of the model's thriller probability: how many visitors said yes or no, and the share of yes."""
    bins = defaultdict(lambda: [0, 0, 0.0])
    for record in records:
        said_yes = ANSWERS[record["answer"]]
        if said_yes is None:
            continue
        probability = float(record["probability"])
        row = bins[min(int(probability * RELIABILITY_BINS), RELIABILITY_BINS - 1)]
        row[0] += 1
        row[1] += said_yes
        row[2] += probability
    lines = [f"{'model probability':<19}{'yes/no answers':>15}{'mean probability':>18}{'visitors said yes':>19}"]
    for index in range(RELIABILITY_BINS):
        answers, yes, probability_sum = bins[index]
        band = f"{index / RELIABILITY_BINS:.1f}-{(index + 1) / RELIABILITY_BINS:.1f}"
        if answers:
            lines.append(f"{band:<19}{answers:>15}{probability_sum / answers:>18.2f}{yes / answers:>19.0%}")
        else:
            lines.append(f"{band:<19}{0:>15}{'-':>18}{'-':>19}")
    return lines


def shared_posters(records: list[dict]) -> tuple[list[Poster], int]:
    """Posters with a yes or no, one per image; and how many images were left out for answers both ways."""
    by_image = defaultdict(list)
    for record in records:
        if record.get("image_key") and ANSWERS[record["answer"]] is not None:
            by_image[record["image_sha256"]].append(record)
    posters, conflicting = [], 0
    for image_sha256, shared in sorted(by_image.items()):
        labels = {int(ANSWERS[record["answer"]]) for record in shared}
        if len(labels) > 1:
            conflicting += 1
            continue
        posters.append(Poster(f"visitor-{image_sha256[:20]}", labels.pop(), shared[0]["image_key"]))
    return posters, conflicting


def already_exported(directory: Path) -> set[str]:
    labels = directory / LABELS_FILE
    if not labels.exists():
        return set()
    with open(labels, newline="", encoding="utf-8") as handle:
        return {row["id"] for row in csv.DictReader(handle)}


def as_jpeg(data: bytes) -> bytes:
    """The training set's images are JPEGs; a PNG or WebP poster is re-encoded once, here."""
    if data.startswith(b"\xff\xd8\xff"):
        return data
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        output = io.BytesIO()
        image.convert("RGB").save(output, "JPEG", quality=92)
        return output.getvalue()


def export(s3, settings: FeedbackSettings, posters: list[Poster], directory: Path) -> tuple[int, int]:
    """Add the posters not in directory yet; returns how many were added, and how many images were gone (the
    lifecycle rule may delete one a little before DynamoDB's TTL deletes its record)."""
    (directory / "images").mkdir(parents=True, exist_ok=True)
    known = already_exported(directory)
    new = [poster for poster in posters if poster.poster_id not in known]
    labels = directory / LABELS_FILE
    write_header = not labels.exists()
    with open(labels, "a", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        if write_header:
            writer.writerow(LABEL_COLUMNS)
        added = 0
        for poster in new:
            try:
                data = s3.get_object(Bucket=settings.bucket, Key=poster.image_key)["Body"].read()
            except s3.exceptions.NoSuchKey:
                continue
            (directory / "images" / f"{poster.poster_id}.jpg").write_bytes(as_jpeg(data))
            writer.writerow((poster.poster_id, poster.thriller_or_crime))
            added += 1
    return added, len(new) - added


def report(session: boto3.session.Session, settings: FeedbackSettings, stage: str, export_dir: Path | None,
           region: str | None, endpoint_url: str | None = None) -> None:
    clients = {"region_name": region, "endpoint_url": endpoint_url}
    records = records_of(session.client("dynamodb", **clients), settings.table)
    versions = Counter(record["model_version"] for record in records)
    print(f"Stage {stage}: {len(records)} answers in {settings.table} (kept {settings.retention_days} days)"
          + (f"; model versions: {', '.join(f'{v} ({n})' for v, n in versions.most_common())}" if versions else ""))
    print("\nHow often visitors agree with each verdict")
    print("\n".join(agreement_lines(records)))
    print("\nReliability: the model's probability against what visitors said (yes/no answers only)")
    print("\n".join(reliability_lines(records)))
    posters, conflicting = shared_posters(records)
    exported = already_exported(export_dir) if export_dir else set()
    waiting = sum(poster.poster_id not in exported for poster in posters)
    print(f"\nShared posters waiting for training: {waiting} (of {len(posters)} with a yes or no"
          + (f"; {conflicting} left out: visitors answered them both ways" if conflicting else "") + ")")
    if export_dir:
        added, gone = export(session.client("s3", **clients), settings, posters, export_dir)
        print(f"exported {added} new poster(s) to {export_dir} (labels.csv + images/): "
              f"make model EXTRA_POSTERS={export_dir}" + (f"; {gone} image(s) already deleted" if gone else ""))


def run(args: argparse.Namespace) -> None:
    settings = stage_feedback_settings(args.project_dir, args.stage)
    if args.stage != LOCAL_STAGE:
        report(boto3.session.Session(), settings, args.stage, args.export, args.region)
        return
    from scripts.local_store import REGION, local_session, open_journal

    if not args.journal.exists():
        raise FeedbackStoreError(f"No local feedback yet: {args.journal} does not exist (make run keeps it there).")
    with open_journal(args.journal) as url:
        report(local_session(), settings, args.stage, args.export, REGION, url)


def main(argv: list[str] | None = None) -> int:
    from scripts.local_store import DEFAULT_JOURNAL

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", help="Chalice stage; local reads make run's store (default: dev)")
    parser.add_argument("--export", type=Path, metavar="DIR", help="write shared posters here for training")
    parser.add_argument("--region", help="AWS region (default: AWS configuration)")
    parser.add_argument("--journal", type=Path, default=DEFAULT_JOURNAL,
                        help="the local store's journal, for --stage local (default: %(default)s)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, help="Chalice project (default: here)")
    args = parser.parse_args(argv)
    return run_reporting_failures(lambda: run(args), (FeedbackStoreError, ChaliceProjectError))


if __name__ == "__main__":
    sys.exit(main())
