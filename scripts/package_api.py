"""Package the API for CloudFormation/SAM: `chalice package` with deploy/merge-template.json for one stage.

    .venv/bin/python scripts/package_api.py --stage prod OUTDIR

OUTDIR receives sam.json and deployment.zip. The merge template adds CORS headers to API Gateway's own error
answers and stage throttling; its CorsAllowOrigin parameter defaults to the stage's CORS_ALLOW_ORIGIN from
.chalice/config.json, so the template is right for the stage without parameter overrides. The function's log
group is declared too, with a retention (LogRetentionDays, 30 by default), so its logs are not kept forever.
"""
import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from scripts.api_gateway_settings import (CORS_PARAMETER, MERGE_TEMPLATE, PROJECT_ROOT, SettingsError, read_json,
                                          stage_cors_origin)
from scripts.chalice_project import ChaliceProjectError
from scripts.log_retention import DEFAULT_RETENTION_DAYS, RETENTION_DAYS, lambda_log_group

FUNCTION_RESOURCE = "APIHandler"
"""The logical id `chalice package` gives the API's function."""
RETENTION_PARAMETER = "LogRetentionDays"
CHALICE = shutil.which("chalice", path=str(Path(sys.executable).parent)) or shutil.which("chalice")


def stage_merge_template(stage: str, project_dir: Path) -> dict:
    template = read_json(MERGE_TEMPLATE, "Merge template")
    origin = stage_cors_origin(project_dir, stage)
    if origin is not None:
        template["Parameters"][CORS_PARAMETER]["Default"] = origin
    template["Parameters"][RETENTION_PARAMETER] = {
        "Type": "Number", "Default": DEFAULT_RETENTION_DAYS, "AllowedValues": list(RETENTION_DAYS),
        "Description": "Days CloudWatch keeps the API function's logs"}
    template["Resources"][f"{FUNCTION_RESOURCE}LogGroup"] = {
        "Type": "AWS::Logs::LogGroup",
        "Properties": {"LogGroupName": {"Fn::Sub": lambda_log_group(f"${{{FUNCTION_RESOURCE}}}")},
                       "RetentionInDays": {"Ref": RETENTION_PARAMETER}}}
    return template


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", default="dev", help="Chalice stage (default: dev)")
    parser.add_argument("--project-dir", type=Path, default=PROJECT_ROOT, help="Chalice project (default: here)")
    parser.add_argument("outdir", type=Path, help="folder for sam.json and deployment.zip")
    args = parser.parse_args(argv)
    try:
        template = stage_merge_template(args.stage, args.project_dir)
    except (SettingsError, ChaliceProjectError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    if not CHALICE:
        print("error: chalice is not installed: run `make venv` and use .venv/bin/python.", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as workdir:
        merge_template = Path(workdir) / f"merge-template-{args.stage}.json"
        merge_template.write_text(json.dumps(template, indent=2), encoding="utf-8")
        return subprocess.run([CHALICE, "--project-dir", str(args.project_dir), "package",
                               "--stage", args.stage, "--merge-template", str(merge_template),
                               str(args.outdir.resolve())]).returncode


if __name__ == "__main__":
    sys.exit(main())
