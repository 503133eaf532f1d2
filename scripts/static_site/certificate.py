"""The ACM certificate for the domain: in us-east-1, as CloudFront requires, validated by DNS in Route 53."""
import hashlib
import time

from scripts.static_site import dns
from scripts.static_site.errors import SyncError

POLL_S = 10.0
FAILED_STATUSES = frozenset({"FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE"})


def find_certificate(acm, domain: str) -> str | None:
    """An issued (else pending) certificate whose name is exactly domain."""
    found = {}
    for page in acm.get_paginator("list_certificates").paginate(
            CertificateStatuses=["ISSUED", "PENDING_VALIDATION"]):
        for summary in page["CertificateSummaryList"]:
            if dns.normalised_domain(summary["DomainName"]) == domain:
                found.setdefault(summary.get("Status", "PENDING_VALIDATION"), summary["CertificateArn"])
    return found.get("ISSUED") or found.get("PENDING_VALIDATION")


def validation_record(acm, arn: str, deadline: float) -> dict:
    """ACM adds the DNS record to create a few seconds after the request."""
    while True:
        for option in acm.describe_certificate(CertificateArn=arn)["Certificate"].get("DomainValidationOptions", []):
            if "ResourceRecord" in option:
                return option["ResourceRecord"]
        if time.monotonic() > deadline:
            raise SyncError(f"ACM gave no DNS validation record for certificate {arn}: run the sync again.")
        time.sleep(POLL_S)


def issued_certificate(acm, route53, zone_id: str, domain: str, timeout_s: float) -> str:
    """The ARN of an issued certificate for domain: found, or requested, validated through the zone and waited for.

    Idempotent: a run interrupted while ACM validates finds the pending certificate and waits again.
    """
    deadline = time.monotonic() + timeout_s
    arn = find_certificate(acm, domain)
    if arn is None:
        token = hashlib.sha256(domain.encode()).hexdigest()[:32]
        arn = acm.request_certificate(DomainName=domain, ValidationMethod="DNS", IdempotencyToken=token,
                                      Tags=[{"Key": "published-by", "Value": "sync_static"}])["CertificateArn"]
        print(f"requested certificate {arn} for {domain}")
    status = acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]
    if status != "ISSUED":
        dns.upsert_validation_record(route53, zone_id, validation_record(acm, arn, deadline))
        print(f"waiting for ACM to validate {domain} through DNS (usually a few minutes)...", flush=True)
    while status != "ISSUED":
        if status in FAILED_STATUSES:
            raise SyncError(f"ACM certificate {arn} for {domain} is {status}: delete it and run the sync again.")
        if time.monotonic() > deadline:
            raise SyncError(f"ACM has not validated {domain} yet (certificate {arn} is {status}): check that the "
                            f"zone is the domain's delegated one, then run the sync again.")
        time.sleep(POLL_S)
        status = acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"]
    return arn
