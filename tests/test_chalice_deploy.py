"""The deploy flow end to end against moto's server: `chalice deploy`, scripts/api_gateway_settings.py, a second
`chalice deploy`, then `chalice delete`, each a real process as a user runs it, with AWS_ENDPOINT_URL on moto.

moto 5.2.5 cannot import the Swagger document Chalice sends; `moto_reads_chalices_swagger` patches its API Gateway
backend for this module only, and each change names the moto gap it covers. Nothing else is faked.
"""
import copy
import json
import os
import shutil
import subprocess
import sys
import urllib.request

import boto3
import pytest
from moto.apigateway.models import APIGatewayBackend

from devkit.servers import PROJECT_ROOT, VENV_BIN
from tests.moto_server import REGION

STAGE = "dev"
APP = "is-this-movie-a-thriller"
FUNCTION = f"{APP}-{STAGE}"
PROJECT_FILES = ("app.py", "chalicelib", "requirements.txt", ".chalice/config.json", ".chalice/policy-dev.json",
                 ".chalice/policy-prod.json")
CHALICE_PACKAGE_CACHE = ".chalice/deployments"
"""Chalice's cache of the dependencies it packs for Lambda: copied along so that Pillow is not downloaded again."""


def swagger_as_moto_reads_it(api_doc: dict) -> dict:
    doc = copy.deepcopy(api_doc)
    # moto gap 1: import_rest_api reads info.description unconditionally (KeyError without one).
    doc["info"].setdefault("description", "")
    # moto gap 2: put_rest_api refuses Swagger 2.0 (InvalidOpenApiDocVersionException); its reader of the paths
    # and x-amazon-apigateway-integration is the same for both versions.
    if doc.pop("swagger", None) is not None:
        doc["openapi"] = "3.0.1"
    # moto gap 3: put_integration needs a uri and an httpMethod, which a MOCK integration (Chalice's CORS
    # preflight) has neither of.
    for methods in doc.get("paths", {}).values():
        for verb, method in methods.items():
            integration = method.get("x-amazon-apigateway-integration") if isinstance(method, dict) else None
            if integration and integration.get("type", "").lower() == "mock":
                integration.setdefault("uri", "")
                integration.setdefault("httpMethod", verb.upper())
    return doc


@pytest.fixture(scope="module")
def moto_reads_chalices_swagger():
    patch = pytest.MonkeyPatch()
    import_rest_api, put_rest_api = APIGatewayBackend.import_rest_api, APIGatewayBackend.put_rest_api
    patch.setattr(APIGatewayBackend, "import_rest_api",
                  lambda self, api_doc, *args, **kwargs: import_rest_api(self, swagger_as_moto_reads_it(api_doc),
                                                                         *args, **kwargs))
    patch.setattr(APIGatewayBackend, "put_rest_api",
                  lambda self, function_id, api_doc, *args, **kwargs: put_rest_api(
                      self, function_id, swagger_as_moto_reads_it(api_doc), *args, **kwargs))
    yield
    patch.undo()


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """A copy of the Chalice project, so that .chalice/deployed/ is written there and not here."""
    root = tmp_path_factory.mktemp("project")
    for name in PROJECT_FILES:
        source, target = PROJECT_ROOT / name, root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copytree if source.is_dir() else shutil.copy)(source, target)
    if (PROJECT_ROOT / CHALICE_PACKAGE_CACHE).is_dir():
        shutil.copytree(PROJECT_ROOT / CHALICE_PACKAGE_CACHE, root / CHALICE_PACKAGE_CACHE)
    return root


@pytest.fixture(scope="module")
def aws_environment(moto_url, tmp_path_factory):
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST")).close()
    home = tmp_path_factory.mktemp("aws-home")
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(AWS_ENDPOINT_URL=moto_url, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                       AWS_DEFAULT_REGION=REGION, AWS_CONFIG_FILE=str(home / "config"),
                       AWS_SHARED_CREDENTIALS_FILE=str(home / "credentials"))
    return environment


def chalice(project, environment, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(VENV_BIN / "chalice"), "--project-dir", str(project), *arguments], env=environment,
                          capture_output=True, text=True, timeout=600)


def deployed_record(project) -> dict:
    resources = json.loads((project / ".chalice" / "deployed" / f"{STAGE}.json").read_text())["resources"]
    return {resource["resource_type"]: resource for resource in resources}


@pytest.fixture(scope="module")
def deploy_flow(moto_reads_chalices_swagger, project, aws_environment):
    """Run the whole flow once; what each step left behind, for the tests to read."""
    clients = {name: boto3.client(name, region_name=REGION, endpoint_url=aws_environment["AWS_ENDPOINT_URL"],
                                  aws_access_key_id="testing", aws_secret_access_key="testing")
               for name in ("lambda", "apigateway", "iam", "logs")}
    record = {}
    first = chalice(project, aws_environment, "deploy", "--stage", STAGE)
    record["first"] = (first, deployed_record(project) if first.returncode == 0 else None)
    record["function"] = clients["lambda"].get_function(FunctionName=FUNCTION) if first.returncode == 0 else None
    record["settings"] = subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "scripts" / "api_gateway_settings.py"), "--stage", STAGE,
         "--project-dir", str(project)], cwd=PROJECT_ROOT, env=aws_environment, capture_output=True, text=True,
        timeout=300)
    rest_api_id = record["first"][1]["rest_api"]["rest_api_id"] if record["first"][1] else None
    record["gateway_responses"] = clients["apigateway"].get_gateway_responses(restApiId=rest_api_id)["items"] \
        if rest_api_id else []
    record["log_groups"] = clients["logs"].describe_log_groups()["logGroups"]
    second = chalice(project, aws_environment, "deploy", "--stage", STAGE)
    record["second"] = (second, deployed_record(project) if second.returncode == 0 else None)
    deleted = chalice(project, aws_environment, "delete", "--stage", STAGE)
    record["delete"] = deleted
    record["after_delete"] = {
        "functions": [f["FunctionName"] for f in clients["lambda"].list_functions()["Functions"]],
        "apis": [api["id"] for api in clients["apigateway"].get_rest_apis()["items"]],
        "roles": [role["RoleName"] for role in clients["iam"].list_roles()["Roles"]],
    }
    return record


def test_chalice_deploy_creates_the_function_with_the_stages_settings_and_the_api(deploy_flow):
    finished, record = deploy_flow["first"]
    assert finished.returncode == 0, finished.stderr
    configuration = deploy_flow["function"]["Configuration"]
    variables = configuration["Environment"]["Variables"]
    assert variables["SAGEMAKER_ENDPOINT_NAME"] == f"{APP}-{STAGE}"
    assert configuration["Runtime"] == "python3.11"
    assert (configuration["Timeout"], configuration["MemorySize"]) == (25, 512)
    assert record["rest_api"]["rest_api_url"].endswith(f"/{STAGE}/"), "each stage deploys its own API Gateway stage"


def test_gateway_settings_apply_to_the_deployed_api(deploy_flow):
    assert deploy_flow["settings"].returncode == 0, deploy_flow["settings"].stderr
    types = {response["responseType"]: response for response in deploy_flow["gateway_responses"]}
    assert "gatewayresponse.header.Access-Control-Allow-Origin" in types["DEFAULT_5XX"]["responseParameters"]
    retention = {group["logGroupName"]: group.get("retentionInDays") for group in deploy_flow["log_groups"]}
    assert retention[f"/aws/lambda/{FUNCTION}"] == 30


def test_a_second_deploy_updates_the_same_api_and_function(deploy_flow):
    finished, record = deploy_flow["second"]
    assert finished.returncode == 0, finished.stderr
    first = deploy_flow["first"][1]
    assert record["rest_api"]["rest_api_id"] == first["rest_api"]["rest_api_id"]
    assert record["lambda_function"]["lambda_arn"] == first["lambda_function"]["lambda_arn"]


def test_chalice_delete_removes_the_function_the_api_and_the_role(deploy_flow):
    assert deploy_flow["delete"].returncode == 0, deploy_flow["delete"].stderr
    remaining = deploy_flow["after_delete"]
    assert FUNCTION not in remaining["functions"]
    assert deploy_flow["first"][1]["rest_api"]["rest_api_id"] not in remaining["apis"]
    assert not [role for role in remaining["roles"] if role.startswith(APP)]
