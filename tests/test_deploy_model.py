"""scripts/deploy_model.py: the model.tar.gz it packages, and its SageMaker deployment against moto.

The AWS calls go to a real moto server through AWS_ENDPOINT_URL, as they would go to AWS. moto 5.2.5
has no UpdateEndpoint, so the `update_endpoint_calls` fixture teaches it one that repoints the endpoint.
"""
import io
import json
import os
import subprocess
import sys
import tarfile

import boto3
import pytest
from moto.sagemaker.models import sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from scripts import deploy_model
from tests.onnx_models import write_tiny_model
from tests.servers import PROJECT_ROOT, free_port

MOTO_ACCOUNT = "123456789012"
BUCKET = "thriller-model-artefacts"
STAGE = "dev"


def stage_endpoint_name(stage: str) -> str:
    config = json.loads((PROJECT_ROOT / ".chalice" / "config.json").read_text())
    return config["stages"][stage]["environment_variables"]["SAGEMAKER_ENDPOINT_NAME"]


def archive_files(data: bytes) -> dict[str, tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return {member.name: member for member in archive.getmembers()}


def archive_file(data: bytes, name: str) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        return archive.extractfile(name).read()


@pytest.fixture
def model_file(tmp_path):
    return write_tiny_model(tmp_path / "poster_classifier.onnx")


@pytest.fixture
def bucket(aws):
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": aws})
    return BUCKET


@pytest.fixture
def update_endpoint_calls(aws, monkeypatch):
    """UpdateEndpoint for moto: point the endpoint at the new configuration, InService at once; records calls."""
    calls = []

    def update_endpoint(self):
        name, config_name = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        calls.append((name, config_name))
        self.sagemaker_backend.describe_endpoint(name)
        endpoint = self.sagemaker_backend.create_endpoint(endpoint_name=name, endpoint_config_name=config_name,
                                                          tags=[])
        return json.dumps({"EndpointArn": endpoint.arn})

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
    return calls


@pytest.fixture
def run(update_endpoint_calls, bucket, model_file, capsys):
    """run(*extra args) -> (exit status, stdout, stderr) of the script deploying model_file to the dev stage."""
    def run_script(*extra: str, model=model_file):
        status = deploy_model.main(["--stage", STAGE, "--bucket", bucket, "--model", str(model), *extra])
        output = capsys.readouterr()
        return status, output.out, output.err
    return run_script


def sagemaker_state() -> dict:
    """Every model, endpoint configuration and endpoint, with what each points at."""
    sagemaker = boto3.client("sagemaker")
    return {
        "models": {model["ModelName"]: sagemaker.describe_model(ModelName=model["ModelName"])["PrimaryContainer"]
                   for model in sagemaker.list_models()["Models"]},
        "configs": {config["EndpointConfigName"]: sagemaker.describe_endpoint_config(
            EndpointConfigName=config["EndpointConfigName"])["ProductionVariants"]
            for config in sagemaker.list_endpoint_configs()["EndpointConfigs"]},
        "endpoints": {endpoint["EndpointName"]: sagemaker.describe_endpoint(
            EndpointName=endpoint["EndpointName"])["EndpointConfigName"]
            for endpoint in sagemaker.list_endpoints()["Endpoints"]},
    }


def deployed_variant(endpoint_name: str) -> dict:
    sagemaker = boto3.client("sagemaker")
    config_name = sagemaker.describe_endpoint(EndpointName=endpoint_name)["EndpointConfigName"]
    [variant] = sagemaker.describe_endpoint_config(EndpointConfigName=config_name)["ProductionVariants"]
    return variant


def deployed_model(endpoint_name: str) -> dict:
    return boto3.client("sagemaker").describe_model(ModelName=deployed_variant(endpoint_name)["ModelName"])


def s3_object(url: str) -> bytes:
    bucket, key = url.removeprefix("s3://").split("/", 1)
    return boto3.client("s3").get_object(Bucket=bucket, Key=key)["Body"].read()


# The archive


def test_archive_holds_the_model_at_its_root_and_the_inference_code_under_code(model_file):
    data = deploy_model.build_model_archive(model_file).data
    files = archive_files(data)
    assert set(files) == {
        "poster_classifier.onnx", "code", "code/inference.py", "code/requirements.txt", "code/poster_model",
        "code/poster_model/__init__.py", "code/poster_model/invocation.py", "code/poster_model/predictor.py",
        "code/poster_model/preprocess.py"}
    assert archive_file(data, "poster_classifier.onnx") == model_file.read_bytes()
    package = PROJECT_ROOT / "poster_model"
    assert archive_file(data, "code/inference.py") == (package / "sagemaker_inference.py").read_bytes()
    for name in ("__init__.py", "invocation.py", "predictor.py", "preprocess.py"):
        assert archive_file(data, f"code/poster_model/{name}") == (package / name).read_bytes()


def test_archive_requirements_pin_the_serving_packages_to_the_projects_versions(model_file):
    requirements = archive_file(deploy_model.build_model_archive(model_file).data, "code/requirements.txt")
    project_pins = {}
    for requirements_file in ("requirements.txt", "requirements-dev.txt"):
        for line in (PROJECT_ROOT / requirements_file).read_text().splitlines():
            if "==" in line:
                name, version = line.split("==")
                project_pins.setdefault(name.strip().lower(), version.strip())
    shipped = dict(line.split("==") for line in requirements.decode().splitlines())
    assert set(shipped) == {"onnxruntime", "numpy", "Pillow"}
    assert all(project_pins[name.lower()] == version for name, version in shipped.items())


def test_an_unchanged_model_packs_to_the_same_bytes_whatever_the_file_times(model_file):
    first = deploy_model.build_model_archive(model_file)
    os.utime(model_file, (1_700_000_000, 1_700_000_000))
    second = deploy_model.build_model_archive(model_file)
    assert second == first
    assert {member.mtime for member in archive_files(second.data).values()} == {deploy_model.ARCHIVE_MTIME}


def test_a_changed_model_packs_to_a_different_digest(model_file, tmp_path):
    changed = write_tiny_model(tmp_path / "changed.onnx", classes=3)
    assert deploy_model.build_model_archive(changed).digest != deploy_model.build_model_archive(model_file).digest


def test_package_only_writes_the_archive_without_calling_aws(model_file, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    target = tmp_path / "model.tar.gz"
    assert deploy_model.main(["--package-only", str(target), "--model", str(model_file)]) == 0
    assert target.read_bytes() == deploy_model.build_model_archive(model_file).data


# The container image


@pytest.mark.parametrize("region, partition, registry_host", [
    ("eu-west-1", "aws", "763104351884.dkr.ecr.eu-west-1.amazonaws.com"),
    ("eu-south-1", "aws", "692866216735.dkr.ecr.eu-south-1.amazonaws.com"),
    ("cn-north-1", "aws-cn", "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn"),
])
def test_the_image_is_the_pytorch_cpu_inference_image_of_the_region(region, partition, registry_host):
    assert deploy_model.container_image(region, partition) == f"{registry_host}/pytorch-inference:2.6.0-cpu-py312"


def test_a_region_without_a_known_image_is_refused_with_advice():
    with pytest.raises(deploy_model.DeployError, match="--image-uri"):
        deploy_model.container_image("xx-nowhere-1", "aws")


# Deploying


def test_first_deploy_creates_model_configuration_and_real_time_endpoint(run, aws, model_file):
    status, out, err = run("--create-role")
    endpoint_name = stage_endpoint_name(STAGE)
    assert status == 0
    assert out.splitlines()[-1] == endpoint_name
    assert f"endpoint {endpoint_name}: InService" in err
    endpoint = boto3.client("sagemaker").describe_endpoint(EndpointName=endpoint_name)
    assert endpoint["EndpointStatus"] == "InService"
    variant = deployed_variant(endpoint_name)
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.t2.medium", 1)
    container = deployed_model(endpoint_name)["PrimaryContainer"]
    assert container["Image"] == deploy_model.container_image(aws, "aws")
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert s3_object(container["ModelDataUrl"]) == deploy_model.build_model_archive(model_file).data


def test_the_artefact_key_contains_the_archive_digest(run, model_file):
    run("--create-role")
    url = deployed_model(stage_endpoint_name(STAGE))["PrimaryContainer"]["ModelDataUrl"]
    assert deploy_model.build_model_archive(model_file).digest[:16] in url


def test_a_second_run_with_an_unchanged_model_changes_nothing(run, update_endpoint_calls):
    run("--create-role")
    before = sagemaker_state()
    objects_before = boto3.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"]
    status, out, err = run()
    assert status == 0
    assert out.splitlines()[-1] == stage_endpoint_name(STAGE)
    assert sagemaker_state() == before
    assert boto3.client("s3").list_objects_v2(Bucket=BUCKET)["Contents"] == objects_before
    assert update_endpoint_calls == []
    assert "nothing to change" in err


def test_a_changed_model_rolls_out_as_a_new_configuration(run, update_endpoint_calls, tmp_path):
    run("--create-role")
    first = sagemaker_state()
    changed = write_tiny_model(tmp_path / "changed.onnx", classes=3)
    status, _, _ = run(model=changed)
    after = sagemaker_state()
    endpoint_name = stage_endpoint_name(STAGE)
    [new_config] = set(after["configs"]) - set(first["configs"])
    assert status == 0
    assert len(after["models"]) == len(first["models"]) + 1
    assert update_endpoint_calls == [(endpoint_name, new_config)]
    assert after["endpoints"][endpoint_name] == new_config
    model_url = deployed_model(endpoint_name)["PrimaryContainer"]["ModelDataUrl"]
    assert s3_object(model_url) == deploy_model.build_model_archive(changed).data


def test_serverless_deploys_a_serverless_configuration(run):
    status, _, _ = run("--create-role", "--serverless", "2048")
    variant = deployed_variant(stage_endpoint_name(STAGE))
    assert status == 0
    assert variant["ServerlessConfig"]["MemorySizeInMB"] == 2048
    assert "InstanceType" not in variant


def test_switching_to_serverless_rolls_out_a_new_configuration(run, update_endpoint_calls):
    run("--create-role")
    run("--serverless", "3072")
    assert len(update_endpoint_calls) == 1
    assert deployed_variant(stage_endpoint_name(STAGE))["ServerlessConfig"]["MemorySizeInMB"] == 3072


def test_create_role_creates_a_role_for_sagemaker_with_a_minimal_policy(run, aws):
    status, _, err = run("--create-role")
    iam = boto3.client("iam")
    role = iam.get_role(RoleName="is-this-movie-a-thriller-sagemaker")["Role"]
    [policy_name] = iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]
    statements = iam.get_role_policy(RoleName=role["RoleName"], PolicyName=policy_name)["PolicyDocument"]["Statement"]
    actions = {action: statement["Resource"] for statement in statements
               for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}
    assert status == 0
    assert [statement["Principal"] for statement in role["AssumeRolePolicyDocument"]["Statement"]] == [
        {"Service": "sagemaker.amazonaws.com"}]
    assert set(actions) == {
        "s3:GetObject", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
        "logs:DescribeLogStreams", "ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability"}
    assert actions["s3:GetObject"] == f"arn:aws:s3:::{BUCKET}/is-this-movie-a-thriller/models/*"
    image = deployed_model(stage_endpoint_name(STAGE))["PrimaryContainer"]["Image"]
    registry_account, _, _, region = image.split("/")[0].split(".")[:4]
    assert actions["ecr:BatchGetImage"] == f"arn:aws:ecr:{region}:{registry_account}:repository/pytorch-inference"
    assert deployed_model(stage_endpoint_name(STAGE))["ExecutionRoleArn"] == role["Arn"]
    assert role["Arn"] in err and policy_name in err


def test_create_role_with_an_image_outside_ecr_is_refused_in_one_sentence(run):
    status, _, err = run("--create-role", "--image-uri", "docker.io/library/python:3.12")
    assert status == 1
    assert "needs an ECR image URI" in err and "Traceback" not in err


def test_an_existing_role_is_used_without_create_role(run):
    run("--create-role")
    status, _, err = run()
    assert status == 0
    assert "created IAM role" not in err


def test_role_arn_is_used_as_given(run):
    role_arn = f"arn:aws:iam::{MOTO_ACCOUNT}:role/my-own-sagemaker-role"
    status, _, _ = run("--role-arn", role_arn)
    assert status == 0
    assert deployed_model(stage_endpoint_name(STAGE))["ExecutionRoleArn"] == role_arn


# Refusals: one line on stderr, exit status 1, nothing deployed


def assert_one_line_error(status: int, err: str, *fragments: str) -> None:
    """The last line of stderr is the error; no traceback anywhere."""
    error_line = err.splitlines()[-1]
    assert status == 1
    assert error_line.startswith("error: ")
    assert "Traceback" not in err
    assert all(fragment in error_line for fragment in fragments)


def test_a_missing_bucket_is_a_clear_error(update_endpoint_calls, model_file, capsys):
    status = deploy_model.main(["--stage", STAGE, "--bucket", "no-such-bucket", "--model", str(model_file),
                                "--create-role"])
    assert_one_line_error(status, capsys.readouterr().err, "no-such-bucket", "does not exist")
    assert boto3.client("sagemaker").list_models()["Models"] == []


def test_a_bucket_in_another_region_is_a_clear_error(update_endpoint_calls, model_file, capsys):
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="far-away-bucket")
    status = deploy_model.main(["--stage", STAGE, "--bucket", "far-away-bucket", "--model", str(model_file),
                                "--create-role"])
    assert_one_line_error(status, capsys.readouterr().err, "far-away-bucket", "us-east-1", "--region")


def test_without_a_role_the_error_says_how_to_get_one(run):
    status, _, err = run()
    assert_one_line_error(status, err, "--create-role", "--role-arn")
    assert boto3.client("sagemaker").list_models()["Models"] == []


def test_an_unknown_stage_is_a_clear_error(run, capsys):
    status = deploy_model.main(["--stage", "staging", "--bucket", BUCKET, "--create-role"])
    assert_one_line_error(status, capsys.readouterr().err, "staging", "dev", "prod")


def test_a_failed_endpoint_is_reported_with_its_reason(run, aws):
    run("--create-role")
    endpoint = sagemaker_backends[MOTO_ACCOUNT][aws].endpoints[stage_endpoint_name(STAGE)]
    endpoint.endpoint_status, endpoint.failure_reason = "Failed", "The primary container did not pass the ping"
    status, _, err = run()
    assert_one_line_error(status, err, "Failed", "did not pass the ping", "delete-endpoint")


def test_missing_credentials_are_a_clear_error_without_traceback(model_file, tmp_path):
    """A real process with no credentials anywhere; AWS_ENDPOINT_URL points at a closed local port."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith("AWS_")}
    environment.update(AWS_DEFAULT_REGION="eu-west-1", AWS_ENDPOINT_URL=f"http://127.0.0.1:{free_port()}",
                       AWS_CONFIG_FILE=str(tmp_path / "none"), AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
                       AWS_EC2_METADATA_DISABLED="true")
    finished = subprocess.run(
        [sys.executable, "scripts/deploy_model.py", "--stage", STAGE, "--bucket", BUCKET, "--model", str(model_file),
         "--create-role"], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=120)
    assert_one_line_error(finished.returncode, finished.stderr, "No AWS credentials")
    assert finished.stdout == ""


def test_resource_names_follow_the_spec_and_fit_sagemakers_limit():
    long_base = "x" * 80
    assert deploy_model.resource_name(long_base, {"a": 1}) == deploy_model.resource_name(long_base, {"a": 1})
    assert deploy_model.resource_name("e", {"a": 1}) != deploy_model.resource_name("e", {"a": 2})
    assert len(deploy_model.resource_name(long_base, {"a": 1})) == 63
    assert deploy_model.resource_name("endpoint", {"a": 1}).startswith("endpoint-")
