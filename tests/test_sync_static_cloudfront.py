"""scripts/sync_static.py --cloudfront against a real moto server: a private bucket readable only by its
distribution, HTTPS, a certificate validated in Route 53, aliases, invalidations; every step idempotent."""
import json
import re

import boto3
import moto.settings
import pytest
from moto.moto_api import state_manager

from scripts.static_site import certificate, cloudfront
from scripts.static_site.cloudfront import comment_for
from scripts.sync_static import main
from tests.aws_like import Edge, aws_like_cloudfront, contract_parameters  # noqa: F401
from tests.moto_server import REGION
from tests.test_sync_static import API_URL, BUCKET, WRITE_OPERATIONS, recording_session, site  # noqa: F401

DOMAIN = "thriller.movies.example.com"
CLOUDFRONT_ZONE = "Z2FDTNDATAQYW2"


@pytest.fixture
def cloud(aws, aws_like_cloudfront, contract_parameters, monkeypatch):
    """CloudFront as AWS answers it (tests/aws_like.py), every call checked against the service model; ACM
    validates a DNS-validated certificate one second after the request; the sync polls every 0.1 s."""
    monkeypatch.setattr(moto.settings, "ACM_VALIDATION_WAIT", 1)
    monkeypatch.setattr(certificate, "POLL_S", 0.1)
    return {name: boto3.client(name, region_name=region) for name, region in
            (("s3", REGION), ("cloudfront", "us-east-1"), ("acm", "us-east-1"), ("route53", "us-east-1"))}


def sync(site, *extra, session=None):
    return main(["--bucket", BUCKET, "--source", str(site), "--api-url", API_URL, "--cloudfront", *extra],
                session=session)


def with_domain(cloud, site, *extra, session=None):
    cloud["route53"].create_hosted_zone(Name="movies.example.com", CallerReference="zone")
    return sync(site, "--domain", DOMAIN, *extra, session=session)


def zone_records(cloud, record_type):
    zone_id = cloud["route53"].list_hosted_zones()["HostedZones"][0]["Id"]
    return [record for record in cloud["route53"].list_resource_record_sets(HostedZoneId=zone_id)
            ["ResourceRecordSets"] if record["Type"] == record_type]


def the_distribution(cloud):
    [summary] = cloud["cloudfront"].list_distributions()["DistributionList"]["Items"]
    return summary, cloud["cloudfront"].get_distribution_config(Id=summary["Id"])["DistributionConfig"]


def cloud_recording_session(calls):
    session = recording_session(calls)
    for service in ("cloudfront", "acm"):
        session.events.register(f"before-parameter-build.{service}",
                                lambda model, params, **_: calls.append((model.name, params)))
    return session


def test_the_bucket_stays_private_and_only_the_distribution_may_read_it(cloud, site):
    assert sync(site) == 0
    s3 = cloud["s3"]
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    summary, _ = the_distribution(cloud)
    assert json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"] == [{
        "Sid": "CloudFrontReadsObjects", "Effect": "Allow", "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{BUCKET}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": summary["ARN"]}},
    }]
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_website(Bucket=BUCKET)


def test_the_distribution_signs_with_an_origin_access_control_and_serves_index_html_over_https(cloud, site):
    assert sync(site) == 0
    summary, config = the_distribution(cloud)
    [control] = cloud["cloudfront"].list_origin_access_controls()["OriginAccessControlList"]["Items"]
    assert (control["SigningProtocol"], control["SigningBehavior"], control["OriginAccessControlOriginType"]) == (
        "sigv4", "always", "s3")
    [origin] = config["Origins"]["Items"]
    assert origin["DomainName"] == f"{BUCKET}.s3.{REGION}.amazonaws.com"
    assert origin["OriginAccessControlId"] == control["Id"]
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert config["DefaultRootObject"] == "index.html"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["ViewerCertificate"]["CloudFrontDefaultCertificate"] is True
    assert summary["Comment"] == comment_for(BUCKET)


def test_the_site_is_announced_on_its_https_address(cloud, site, capsys):
    assert sync(site) == 0
    summary, _ = the_distribution(cloud)
    assert capsys.readouterr().out.splitlines()[-1] == f"Site: https://{summary['DomainName']}"


def test_a_second_run_changes_nothing(cloud, site):
    assert with_domain(cloud, site) == 0
    calls = []
    assert sync(site, "--domain", DOMAIN, session=cloud_recording_session(calls)) == 0
    writes = [name for name, _ in calls if name.startswith(WRITE_OPERATIONS + ("Request", "Update"))
              and name != "ChangeResourceRecordSets"]
    assert writes == []
    assert len(cloud["cloudfront"].list_distributions()["DistributionList"]["Items"]) == 1
    assert len(cloud["cloudfront"].list_origin_access_controls()["OriginAccessControlList"]["Items"]) == 1
    assert len(cloud["acm"].list_certificates()["CertificateSummaryList"]) == 1


def test_a_domain_gets_a_certificate_in_us_east_1_validated_by_dns_in_its_zone(cloud, site):
    assert with_domain(cloud, site) == 0
    [summary] = cloud["acm"].list_certificates()["CertificateSummaryList"]
    described = cloud["acm"].describe_certificate(CertificateArn=summary["CertificateArn"])["Certificate"]
    assert (described["DomainName"], described["Status"]) == (DOMAIN, "ISSUED")
    assert summary["CertificateArn"].startswith("arn:aws:acm:us-east-1:")
    [validation] = described["DomainValidationOptions"]
    [cname] = zone_records(cloud, "CNAME")
    assert cname["Name"] == validation["ResourceRecord"]["Name"]
    assert cname["ResourceRecords"] == [{"Value": validation["ResourceRecord"]["Value"]}]
    _, config = the_distribution(cloud)
    assert config["Aliases"]["Items"] == [DOMAIN]
    assert config["ViewerCertificate"]["ACMCertificateArn"] == summary["CertificateArn"]
    assert config["ViewerCertificate"]["SSLSupportMethod"] == "sni-only"


def test_the_domains_a_and_aaaa_records_are_aliases_of_the_distribution(cloud, site):
    assert with_domain(cloud, site) == 0
    summary, _ = the_distribution(cloud)
    for record_type in ("A", "AAAA"):
        assert zone_records(cloud, record_type) == [{
            "Name": f"{DOMAIN}.", "Type": record_type,
            "AliasTarget": {"HostedZoneId": CLOUDFRONT_ZONE, "DNSName": summary["DomainName"],
                            "EvaluateTargetHealth": False}}]


def test_the_bucket_need_not_be_named_like_the_domain(cloud, site, capsys):
    assert with_domain(cloud, site) == 0
    assert capsys.readouterr().out.splitlines()[-1] == f"Site: https://{DOMAIN}"


def test_a_sync_that_changes_files_invalidates_every_page_and_config_js(cloud, site):
    (site / "model.html").write_text("<!doctype html><title>model</title><link rel='stylesheet' href='styles.css'>")
    assert sync(site) == 0
    summary, _ = the_distribution(cloud)
    (site / "app.js").write_text("console.log('release 2');\n")
    calls = []
    assert sync(site, session=cloud_recording_session(calls)) == 0
    [batch] = [params["InvalidationBatch"] for name, params in calls if name == "CreateInvalidation"]
    assert sorted(batch["Paths"]["Items"]) == ["/", "/config.js", "/index.html", "/model.html"]


def test_moving_a_website_bucket_behind_cloudfront_makes_it_private(cloud, site):
    assert main(["--bucket", BUCKET, "--source", str(site), "--api-url", API_URL]) == 0
    assert sync(site) == 0
    s3 = cloud["s3"]
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is True
    statement = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"][0]
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    with pytest.raises(s3.exceptions.ClientError):
        s3.get_bucket_website(Bucket=BUCKET)


def test_dry_run_creates_nothing(cloud, site, capsys):
    calls = []
    cloud["route53"].create_hosted_zone(Name="movies.example.com", CallerReference="zone")
    assert sync(site, "--domain", DOMAIN, "--dry-run", session=cloud_recording_session(calls)) == 0
    assert not [name for name, _ in calls if name.startswith(WRITE_OPERATIONS + ("Request", "Update"))]
    out = capsys.readouterr().out
    assert "would request ACM certificate" in out and "would create origin access control" in out


def test_foreign_objects_stay_unreadable_by_the_distribution_with_force(cloud, site, capsys):
    s3 = cloud["s3"]
    s3.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_object(Bucket=BUCKET, Key="models/model.tar.gz", Body=b"artefact")
    assert sync(site) == 2
    assert sync(site, "--dry-run") == 0
    [note] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("note:")]
    assert sync(site, "--force", note.split("--force ", 1)[1].split(":", 1)[0]) == 0
    resources = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"][0]["Resource"]
    assert f"arn:aws:s3:::{BUCKET}/index.html" in resources
    assert not [resource for resource in resources if "model" in resource or resource.endswith("*")]
    assert s3.get_object(Bucket=BUCKET, Key="models/model.tar.gz")["Body"].read() == b"artefact"


def versioned_url(index_html: bytes, name: str) -> str:
    [url] = re.findall(rf"""["']({name}\?v=[0-9a-f]+)["']""", index_html.decode())
    return f"/{url}"


def test_after_a_release_a_fresh_visitor_gets_the_new_javascript(cloud, site, aws_like_cloudfront):
    assert sync(site) == 0
    edge = Edge(aws_like_cloudfront, BUCKET)
    assert b"APP_CONFIG" in edge.fetch(versioned_url(edge.fetch("/"), "app.js"))
    (site / "app.js").write_text("console.log('release 2');\n")
    assert sync(site) == 0
    assert edge.fetch(versioned_url(edge.fetch("/"), "app.js")) == b"console.log('release 2');\n"


def test_the_cache_key_holds_the_path_and_the_version_query_string_only(cloud, site, aws_like_cloudfront):
    assert sync(site) == 0
    _, config = the_distribution(cloud)
    policy = aws_like_cloudfront.config("CachePolicy", config["DefaultCacheBehavior"]["CachePolicyId"])
    assert policy["Name"] == f"sync-static-{BUCKET}"
    key = policy["ParametersInCacheKeyAndForwardedToOrigin"]
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "whitelist",
                                         "QueryStrings": {"Quantity": 1, "Items": ["v"]}}
    assert (key["HeadersConfig"], key["CookiesConfig"]) == ({"HeaderBehavior": "none"}, {"CookieBehavior": "none"})


def test_a_policy_changed_outside_the_sync_is_put_back_by_the_next_sync(cloud, site, aws_like_cloudfront):
    assert sync(site) == 0
    _, config = the_distribution(cloud)
    policy_id = config["DefaultCacheBehavior"]["CachePolicyId"]
    wanted = json.loads(json.dumps(aws_like_cloudfront.config("CachePolicy", policy_id)))
    aws_like_cloudfront.config("CachePolicy", policy_id)["ParametersInCacheKeyAndForwardedToOrigin"][
        "QueryStringsConfig"] = {"QueryStringBehavior": "none"}
    calls = []
    assert sync(site, session=cloud_recording_session(calls)) == 0
    assert [name for name, _ in calls if name.startswith(("Update", "Create")) and "Policy" in name] == [
        "UpdateCachePolicy"]
    assert aws_like_cloudfront.config("CachePolicy", policy_id) == wanted


def test_the_site_is_served_with_security_headers(cloud, site, aws_like_cloudfront):
    assert sync(site) == 0
    _, config = the_distribution(cloud)
    headers = aws_like_cloudfront.config("ResponseHeadersPolicy",
                                         config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"])
    security = headers["SecurityHeadersConfig"]
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"] == {"Override": True, "FrameOption": "DENY"}
    assert "frame-ancestors 'none'" in security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    assert all(header["Override"] for header in security.values())


def test_what_an_operator_added_to_the_distribution_survives_a_sync_that_updates_it(cloud, site):
    assert sync(site) == 0
    summary, config = the_distribution(cloud)
    etag = cloud["cloudfront"].get_distribution_config(Id=summary["Id"])["ETag"]
    function = {"Quantity": 1, "Items": [{"FunctionARN": "arn:aws:cloudfront::123456789012:function/rewrite",
                                          "EventType": "viewer-request"}]}
    config["DefaultCacheBehavior"]["FunctionAssociations"] = function
    config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] = "0e7bc1de-0000-4000-8000-0000000000aa"
    config["PriceClass"] = "PriceClass_All"
    cloud["cloudfront"].update_distribution(Id=summary["Id"], IfMatch=etag, DistributionConfig=config)
    calls = []
    assert sync(site, session=cloud_recording_session(calls)) == 0
    assert [name for name, _ in calls if name == "UpdateDistribution"] == ["UpdateDistribution"]
    _, config = the_distribution(cloud)
    assert config["PriceClass"] == "PriceClass_100"
    assert config["DefaultCacheBehavior"]["FunctionAssociations"] == function
    assert config["DefaultCacheBehavior"]["ResponseHeadersPolicyId"] == "0e7bc1de-0000-4000-8000-0000000000aa"


@pytest.fixture
def slow_deployment(monkeypatch):
    """The distribution stays InProgress for three of CloudFront's answers after each change; the sync asks every
    10 ms."""
    state_manager.set_transition(model_name="cloudfront::distribution",
                                 transition={"progression": "manual", "times": 3})
    monkeypatch.setattr(cloudfront, "DEPLOY_POLL_S", 0.01, raising=False)
    yield
    state_manager.unset_transition("cloudfront::distribution")


def test_the_site_is_announced_once_the_distribution_is_deployed(cloud, site, slow_deployment, capsys):
    assert sync(site) == 0
    summary, _ = the_distribution(cloud)
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [f"distribution {summary['Id']} is Deployed", f"Site: https://{summary['DomainName']}"]


def test_a_sync_that_stops_waiting_says_the_distribution_is_still_deploying(cloud, site, slow_deployment, capsys):
    assert sync(site, "--deploy-timeout", "0") == 0
    out = capsys.readouterr().out
    assert "is still deploying (InProgress)" in out
    assert f"is Deployed\n" not in out
