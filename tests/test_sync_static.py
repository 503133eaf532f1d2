"""scripts/sync_static.py against a real moto server: the bucket, its website settings, the files, Route 53, and
what it refuses to touch."""
import hashlib
import json
import os
import subprocess
import sys

import boto3
import pytest

from devkit.servers import PROJECT_ROOT
from scripts.static_config import render_config_js
from scripts.static_site.bucket import MANIFEST_KEY
from scripts.static_site.site_files import LONG_CACHE
from scripts.sync_static import main
from tests.aws_like import contract_parameters, iam_lag  # noqa: F401
from tests.moto_server import REGION

pytestmark = pytest.mark.usefixtures("contract_parameters")
"""Every AWS call these tests make is checked against the service model (tests/aws_like.py)."""

BUCKET = "thriller-site-test"
API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"
WRITE_OPERATIONS = ("Put", "Create", "Delete", "Change", "Upload", "Copy")


@pytest.fixture
def s3(aws):
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def route53(aws):
    return boto3.client("route53")


@pytest.fixture
def site(tmp_path):
    """A small site with a stale local config.js and a hidden file, neither of which may be published as is."""
    source = tmp_path / "static"
    (source / "img").mkdir(parents=True)
    (source / "index.html").write_text("<!doctype html><title>t</title><link rel='stylesheet' href='styles.css'>"
                                       "<script src='config.js'></script><script type='module' src='app.js'></script>")
    (source / "app.js").write_text("console.log(window.APP_CONFIG.apiUrl);\n")
    (source / "styles.css").write_text("body { margin: 0; }\n")
    (source / "img" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)))
    (source / "config.js").write_text(render_config_js("http://127.0.0.1:8000"))
    (source / ".DS_Store").write_bytes(b"\0")
    return source


def sync(site, *extra, session=None):
    return main(["--bucket", BUCKET, "--source", str(site), "--api-url", API_URL, *extra], session=session)


def recording_session(calls):
    """A session whose S3 and Route 53 clients append each operation name, in order, to calls."""
    session = boto3.session.Session()
    for service in ("s3", "route53"):
        session.events.register(f"before-parameter-build.{service}",
                                lambda model, params, **_: calls.append((model.name, params)))
    return session


def uploaded_keys(calls):
    """The site files a recorded sync uploaded, in order (its manifest left out)."""
    return [params["Key"] for name, params in calls if name == "PutObject" and params["Key"] != MANIFEST_KEY]


def object_keys(s3):
    """The site's objects (the sync's manifest left out)."""
    return sorted(item["Key"] for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])
                  if item["Key"] != MANIFEST_KEY)


def body_of(s3, key):
    return s3.get_object(Bucket=BUCKET, Key=key)["Body"].read()


def test_creates_bucket_in_the_region(s3, site):
    assert sync(site, "--region", "us-west-2") == 0
    assert s3.get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == "us-west-2"


def test_bucket_serves_index_as_website(s3, site):
    assert sync(site) == 0
    website = s3.get_bucket_website(Bucket=BUCKET)
    assert website["IndexDocument"] == {"Suffix": "index.html"}
    assert website["ErrorDocument"] == {"Key": "index.html"}


def test_bucket_policy_allows_only_reading_objects(s3, site):
    assert sync(site) == 0
    statements = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statements == [{
        "Sid": "PublicReadObjects", "Effect": "Allow", "Principal": "*",
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*",
    }]


def test_public_access_block_keeps_acls_blocked_and_allows_the_policy(s3, site):
    assert sync(site) == 0
    block = s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]
    assert block == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                     "BlockPublicPolicy": False, "RestrictPublicBuckets": False}


def test_public_access_block_is_lifted_before_the_policy_is_set(aws, site):
    calls = []
    assert sync(site, session=recording_session(calls)) == 0
    operations = [name for name, _ in calls]
    assert operations.index("PutPublicAccessBlock") < operations.index("PutBucketPolicy")


def test_a_policy_refused_right_after_block_public_access_was_lowered_is_retried(s3, site, iam_lag, capsys):
    assert sync(site) == 0
    assert iam_lag.refused == ["PutBucketPolicy"]
    assert iam_lag.pauses == [5]
    assert json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"][0]["Sid"] == "PublicReadObjects"
    assert "waiting for IAM: PutBucketPolicy" in capsys.readouterr().err


def test_no_acl_is_ever_set(aws, site):
    calls = []
    assert sync(site, session=recording_session(calls)) == 0
    assert not [name for name, params in calls if "Acl" in name or "ACL" in params]


def test_objects_get_content_type_and_cache_control(s3, site):
    assert sync(site) == 0
    expected = {
        "index.html": ("text/html; charset=utf-8", "no-cache"),
        "config.js": ("text/javascript; charset=utf-8", "no-cache"),
        "app.js": ("text/javascript; charset=utf-8", LONG_CACHE),
        "styles.css": ("text/css; charset=utf-8", LONG_CACHE),
        "img/logo.png": ("image/png", LONG_CACHE),
    }
    assert object_keys(s3) == sorted(expected)
    for key, (content_type, cache_control) in expected.items():
        head = s3.head_object(Bucket=BUCKET, Key=key)
        assert (head["ContentType"], head["CacheControl"]) == (content_type, cache_control), key


def test_files_are_uploaded_unchanged_but_index_html_names_each_asset_by_its_content(s3, site):
    assert sync(site) == 0
    assert body_of(s3, "img/logo.png") == (site / "img" / "logo.png").read_bytes()
    app_js_version = hashlib.md5((site / "app.js").read_bytes()).hexdigest()[:12]
    index_html = body_of(s3, "index.html").decode()
    assert f"src='app.js?v={app_js_version}'" in index_html
    assert "href='styles.css?v=" in index_html and "src='config.js'" in index_html


def test_a_changed_script_is_uploaded_with_an_index_html_that_asks_for_its_new_version(s3, site):
    assert sync(site) == 0
    first = body_of(s3, "index.html")
    (site / "app.js").write_text("console.log('release 2');\n")
    calls = []
    assert sync(site, session=recording_session(calls)) == 0
    assert uploaded_keys(calls) == ["app.js", "index.html"]
    assert body_of(s3, "index.html") != first


def test_config_js_holds_the_given_api_url(s3, site):
    assert sync(site) == 0
    assert body_of(s3, "config.js").decode() == render_config_js(API_URL)


def test_config_js_holds_the_url_chalice_recorded_for_the_stage(s3, site, tmp_path):
    deployed_url = "https://prod987.execute-api.eu-west-1.amazonaws.com/api/"
    deployed = tmp_path / "project" / ".chalice" / "deployed"
    deployed.mkdir(parents=True)
    (deployed / "prod.json").write_text(json.dumps({"schema_version": "2.0", "backend": "api", "resources": [
        {"name": "api_handler", "resource_type": "lambda_function", "lambda_arn": "arn:aws:lambda:x"},
        {"name": "rest_api", "resource_type": "rest_api", "rest_api_id": "prod987", "rest_api_url": deployed_url},
    ]}))
    status = main(["--bucket", BUCKET, "--source", str(site), "--stage", "prod",
                   "--project-dir", str(tmp_path / "project")])
    assert status == 0
    assert body_of(s3, "config.js").decode() == render_config_js(deployed_url)


def test_missing_api_url_is_a_clear_error(s3, site, tmp_path, capsys):
    status = main(["--bucket", BUCKET, "--source", str(site), "--project-dir", str(tmp_path)])
    assert status == 1
    error = capsys.readouterr().err
    assert "--api-url" in error and "chalice deploy --stage dev" in error
    assert "Traceback" not in error


def test_second_run_uploads_nothing(aws, site, capsys):
    assert sync(site) == 0
    capsys.readouterr()
    calls = []
    assert sync(site, session=recording_session(calls)) == 0
    assert not [name for name, _ in calls if name.startswith(WRITE_OPERATIONS)]
    skipped = [line.split()[1] for line in capsys.readouterr().out.splitlines() if line.startswith("skip")]
    assert sorted(skipped) == ["app.js", "config.js", "img/logo.png", "index.html", "styles.css"]


def test_only_a_changed_file_is_uploaded_again(aws, site):
    assert sync(site) == 0
    (site / "img" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n new logo")
    calls = []
    assert sync(site, session=recording_session(calls)) == 0
    assert uploaded_keys(calls) == ["img/logo.png"]


def test_an_object_with_wrong_headers_is_uploaded_again(s3, site):
    assert sync(site) == 0
    s3.put_object(Bucket=BUCKET, Key="styles.css", Body=(site / "styles.css").read_bytes(),
                  ContentType="application/octet-stream")
    assert sync(site) == 0
    head = s3.head_object(Bucket=BUCKET, Key="styles.css")
    assert (head["ContentType"], head["CacheControl"]) == ("text/css; charset=utf-8", LONG_CACHE)


def test_an_object_gone_locally_is_deleted(s3, site):
    assert sync(site) == 0
    (site / "styles.css").unlink()
    assert sync(site) == 0
    assert object_keys(s3) == ["app.js", "config.js", "img/logo.png", "index.html"]


def test_the_manifest_records_what_was_published_and_the_policy_written(s3, site):
    assert sync(site) == 0
    manifest = json.loads(body_of(s3, MANIFEST_KEY))
    assert sorted(manifest["objects"]) == ["app.js", "config.js", "img/logo.png", "index.html", "styles.css"]
    assert manifest["objects"]["styles.css"] == hashlib.md5((site / "styles.css").read_bytes()).hexdigest()
    assert manifest["policy"] == json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])


def test_dry_run_on_a_new_bucket_creates_nothing(s3, site, capsys):
    assert sync(site, "--dry-run") == 0
    assert BUCKET not in [bucket["Name"] for bucket in s3.list_buckets()["Buckets"]]
    out = capsys.readouterr().out
    assert f"would create bucket {BUCKET}" in out
    assert "would upload  index.html" in out


def test_dry_run_on_an_existing_bucket_only_reads(s3, site, capsys):
    assert sync(site) == 0
    (site / "app.js").write_text("console.log('new release');\n")
    (site / "styles.css").unlink()
    calls = []
    capsys.readouterr()
    assert sync(site, "--dry-run", session=recording_session(calls)) == 0
    assert not [name for name, _ in calls if name.startswith(WRITE_OPERATIONS)]
    out = capsys.readouterr().out
    assert "would upload  app.js" in out and "would delete  styles.css" in out
    assert "console.log('new release')" not in body_of(s3, "app.js").decode()
    assert "styles.css" in object_keys(s3)


def test_prints_the_website_url_at_the_end(aws, site, capsys):
    assert sync(site) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"Website: http://{BUCKET}.s3-website-{REGION}.amazonaws.com"


def project_allowing(tmp_path, origin):
    """A Chalice project whose prod stage lets origin call the API."""
    (tmp_path / "project" / ".chalice").mkdir(parents=True)
    (tmp_path / "project" / ".chalice" / "config.json").write_text(json.dumps({
        "version": "2.0", "app_name": "t", "stages": {"prod": {"environment_variables": {"CORS_ALLOW_ORIGIN": origin}}}}))
    return tmp_path / "project"


def test_warns_when_the_api_would_refuse_the_sites_origin(aws, site, tmp_path, capsys):
    project = project_allowing(tmp_path, "http://elsewhere.film")
    assert sync(site, "--stage", "prod", "--project-dir", str(project)) == 0
    website = f"http://{BUCKET}.s3-website-{REGION}.amazonaws.com"
    warnings = [line for line in capsys.readouterr().out.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1 and f"CORS_ALLOW_ORIGIN of stage prod in .chalice/config.json to {website}" in warnings[0]


def test_no_warning_when_the_api_allows_the_sites_origin(aws, site, tmp_path, capsys):
    project = project_allowing(tmp_path, f"http://{BUCKET}.s3-website-{REGION}.amazonaws.com")
    assert sync(site, "--stage", "prod", "--project-dir", str(project)) == 0
    assert "warning:" not in capsys.readouterr().out


@pytest.mark.parametrize("region, host", [
    ("us-east-1", "s3-website-us-east-1.amazonaws.com"),
    ("eu-central-1", "s3-website.eu-central-1.amazonaws.com"),
])
def test_website_url_uses_the_regions_endpoint_form(aws, site, capsys, region, host):
    assert sync(site, "--region", region) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"Website: http://{BUCKET}.{host}"


def test_domain_gets_an_alias_to_the_website_endpoint_in_its_closest_zone(aws, s3, route53, site):
    domain = "thriller.movies.example.com"
    parent = route53.create_hosted_zone(Name="example.com", CallerReference="parent")["HostedZone"]["Id"]
    closest = route53.create_hosted_zone(Name="movies.example.com", CallerReference="closest")["HostedZone"]["Id"]
    assert main(["--bucket", domain, "--source", str(site), "--api-url", API_URL, "--domain", domain]) == 0

    records = route53.list_resource_record_sets(HostedZoneId=closest)["ResourceRecordSets"]
    assert [record for record in records if record["Type"] == "A"] == [{
        "Name": f"{domain}.", "Type": "A",
        "AliasTarget": {"HostedZoneId": "Z1BKCTXD74EZPE", "DNSName": f"s3-website-{REGION}.amazonaws.com",
                        "EvaluateTargetHealth": False},
    }]
    assert not [record for record in route53.list_resource_record_sets(HostedZoneId=parent)["ResourceRecordSets"]
                if record["Type"] == "A"]


def test_domain_must_be_the_bucket_name(s3, site, capsys):
    status = sync(site, "--domain", "thriller.example.com")
    assert status == 1
    assert "bucket named exactly thriller.example.com" in capsys.readouterr().err
    assert s3.list_buckets()["Buckets"] == []


def test_domain_without_hosted_zone_is_a_clear_error(aws, site, capsys):
    domain = "thriller.example.org"
    assert main(["--bucket", domain, "--source", str(site), "--api-url", API_URL, "--domain", domain]) == 1
    assert "No public Route 53 hosted zone holds thriller.example.org" in capsys.readouterr().err


def test_bucket_in_another_region_is_a_clear_error(s3, site, capsys):
    boto3.client("s3", region_name="us-west-2").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
    assert sync(site) == 1
    error = capsys.readouterr().err
    assert "is in region us-west-2" in error and "--region us-west-2" in error


def test_bucket_of_another_account_is_a_clear_error(s3, site, capsys, monkeypatch):
    other_account = boto3.client("s3", region_name=REGION)
    other_account.meta.events.register(
        "before-sign.s3", lambda request, **_: request.headers.add_header("x-moto-account-id", "111122223333"))
    other_account.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    monkeypatch.setenv("MOTO_S3_ALLOW_CROSSACCOUNT_ACCESS", "false")
    assert sync(site) == 1
    error = capsys.readouterr().err
    assert "belongs to another AWS account" in error
    assert "Traceback" not in error


def test_unknown_file_type_is_a_clear_error(aws, site, capsys):
    (site / "notes.docx").write_bytes(b"PK")
    assert sync(site) == 1
    assert "unknown file type '.docx'" in capsys.readouterr().err


def test_no_credentials_is_one_clear_sentence(aws, site, tmp_path):
    env = {name: value for name, value in os.environ.items()
           if name not in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")}
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    result = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "sync_static.py"), "--bucket", BUCKET,
         "--source", str(site), "--api-url", API_URL],
        env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert result.stderr.startswith("error: No AWS credentials found")


FOREIGN_OBJECTS = {"models/model.tar.gz": b"model artefact", "private/payroll.csv": b"name,salary\n"}
DENY_POLICY = {"Version": "2012-10-17", "Statement": [{
    "Sid": "KeepItPrivate", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/*"}]}


def someone_elses_bucket(s3, public_access_block=None, policy=DENY_POLICY):
    """A bucket the sync never touched: two private objects and a deny policy."""
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    for key, body in FOREIGN_OBJECTS.items():
        s3.put_object(Bucket=BUCKET, Key=key, Body=body)
    if public_access_block is not None:
        s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration=public_access_block)
    if policy is not None:
        s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(policy))


def bucket_snapshot(s3):
    """Everything a sync could change in the bucket."""
    def optional(call, *path):
        try:
            answer = call(Bucket=BUCKET)
        except s3.exceptions.ClientError:
            return None
        for step in path:
            answer = answer[step]
        return answer
    return {
        "objects": {item["Key"]: body_of(s3, item["Key"])
                    for item in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])},
        "policy": optional(s3.get_bucket_policy, "Policy"),
        "public_access_block": optional(s3.get_public_access_block, "PublicAccessBlockConfiguration"),
        "website": optional(s3.get_bucket_website, "IndexDocument"),
    }


def one_error_sentence(capsys):
    error = capsys.readouterr().err.strip()
    assert error.startswith("error: ") and "\n" not in error and "Traceback" not in error
    return error


def test_a_bucket_with_foreign_objects_and_a_deny_policy_comes_out_unchanged(aws, s3, site, capsys):
    someone_elses_bucket(s3)
    before = bucket_snapshot(s3)
    calls = []
    assert sync(site, session=recording_session(calls)) == 2
    assert bucket_snapshot(s3) == before
    assert not [name for name, _ in calls if name.startswith(WRITE_OPERATIONS)]
    error = one_error_sentence(capsys)
    assert "2 object(s) (models/model.tar.gz, private/payroll.csv) this script did not publish" in error
    assert "a bucket policy this script did not write" in error and "nothing was changed" in error.lower()


def test_a_bucket_whose_policy_it_did_not_write_is_refused(s3, site, capsys):
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps(DENY_POLICY))
    assert sync(site) == 2
    assert "a bucket policy this script did not write" in one_error_sentence(capsys)
    assert json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"]) == DENY_POLICY


def test_block_public_access_is_never_lowered_on_a_bucket_holding_anything_else(s3, site, capsys):
    all_blocked = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
                   "RestrictPublicBuckets": True}
    someone_elses_bucket(s3, public_access_block=all_blocked, policy=None)
    before = bucket_snapshot(s3)
    assert sync(site, "--force", "any") == 2
    assert bucket_snapshot(s3) == before
    assert "never does on a bucket holding anything else" in one_error_sentence(capsys)


OPEN_FOR_POLICIES = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": False,
                     "RestrictPublicBuckets": False}


def fingerprint_of_dry_run(site, capsys):
    """The --force value a dry run prints for the bucket as it is."""
    assert sync(site, "--dry-run") == 0
    [note] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    return note.split("--force ", 1)[1].split(":", 1)[0]


def test_dry_run_shows_what_force_would_change_and_changes_nothing(aws, s3, site, capsys):
    someone_elses_bucket(s3, public_access_block=OPEN_FOR_POLICIES)
    before = bucket_snapshot(s3)
    assert sync(site, "--dry-run") == 0
    assert bucket_snapshot(s3) == before
    out = capsys.readouterr().out
    assert "to publish beside them run again with --force " in out and "the policy is replaced" in out
    assert "keep    2 object(s) this script did not publish" in out and "would upload  index.html" in out


def test_force_with_the_dry_runs_fingerprint_publishes_beside_foreign_objects_without_exposing_them(s3, site,
                                                                                                     capsys):
    someone_elses_bucket(s3, public_access_block=OPEN_FOR_POLICIES)
    assert sync(site, "--force", fingerprint_of_dry_run(site, capsys)) == 0
    (site / "styles.css").unlink()
    assert sync(site) == 0  # the same foreign objects, unchanged: already seen by a forced run
    for key, body in FOREIGN_OBJECTS.items():
        assert body_of(s3, key) == body
    assert "styles.css" not in object_keys(s3)
    [statement] = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"]
    assert statement["Principal"] == "*" and statement["Action"] == "s3:GetObject"
    assert sorted(statement["Resource"]) == [f"arn:aws:s3:::{BUCKET}/{key}" for key in
                                             ["app.js", "config.js", "img/logo.png", "index.html"]]


def test_force_is_refused_when_the_bucket_changed_since_the_dry_run(s3, site, capsys):
    someone_elses_bucket(s3, public_access_block=OPEN_FOR_POLICIES)
    fingerprint = fingerprint_of_dry_run(site, capsys)
    s3.put_object(Bucket=BUCKET, Key="private/new-secret.txt", Body=b"arrived after the dry run")
    before = bucket_snapshot(s3)
    assert sync(site, "--force", fingerprint) == 2
    assert bucket_snapshot(s3) == before
    assert f"--force {fingerprint} does not match bucket {BUCKET} as it is now" in one_error_sentence(capsys)


def test_a_foreign_object_added_after_a_forced_sync_is_refused_again(s3, site, capsys):
    someone_elses_bucket(s3, public_access_block=OPEN_FOR_POLICIES)
    assert sync(site, "--force", fingerprint_of_dry_run(site, capsys)) == 0
    s3.put_object(Bucket=BUCKET, Key="private/later.txt", Body=b"later")
    assert sync(site) == 2
    assert "1 object(s) (private/later.txt) this script did not publish" in one_error_sentence(capsys)


def test_a_foreign_object_the_site_would_overwrite_is_refused_even_with_force(s3, site, capsys):
    someone_elses_bucket(s3, public_access_block=OPEN_FOR_POLICIES, policy=None)
    s3.put_object(Bucket=BUCKET, Key="index.html", Body=b"someone else's page")
    assert sync(site, "--force", "any") == 2
    assert "which the site would overwrite" in one_error_sentence(capsys)
    assert body_of(s3, "index.html") == b"someone else's page"


def test_an_identical_copy_of_the_site_is_taken_over_without_force(s3, site):
    """A bucket published by an earlier version of the script (no manifest) holds nothing foreign."""
    assert sync(site) == 0
    s3.delete_object(Bucket=BUCKET, Key=MANIFEST_KEY)
    assert sync(site) == 0
    assert json.loads(body_of(s3, MANIFEST_KEY))["objects"].keys() == set(object_keys(s3))


def test_a_stage_whose_cors_origin_is_the_placeholder_is_refused_with_the_fix(s3, site, tmp_path, capsys):
    project = project_allowing(tmp_path, "http://thriller.example.com")
    assert sync(site, "--stage", "prod", "--project-dir", str(project)) == 2
    error = one_error_sentence(capsys)
    assert "placeholder http://thriller.example.com" in error
    assert "stages.prod.environment_variables.CORS_ALLOW_ORIGIN in .chalice/config.json" in error
    assert s3.list_buckets()["Buckets"] == []


def test_a_dry_run_only_warns_about_the_placeholder_origin(s3, site, tmp_path, capsys):
    project = project_allowing(tmp_path, "http://thriller.example.com")
    assert sync(site, "--stage", "prod", "--project-dir", str(project), "--dry-run") == 0
    assert "warning: Stage prod's CORS_ALLOW_ORIGIN is the placeholder" in capsys.readouterr().out


def test_the_published_page_may_connect_only_to_itself_and_the_api(s3, site):
    (site / "index.html").write_text('<meta http-equiv="Content-Security-Policy" content="default-src \'self\'; '
                                     'connect-src \'self\' http: https:"><script src="app.js"></script>')
    assert sync(site) == 0
    assert ("content=\"default-src 'self'; connect-src 'self' https://abc123.execute-api.eu-west-1.amazonaws.com\""
            in body_of(s3, "index.html").decode())
