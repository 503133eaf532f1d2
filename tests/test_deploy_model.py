"""scripts/deploy_model.py (the scripts/model_deploy package): the model.tar.gz it packages, and its SageMaker
deployment against moto.

The AWS calls go to a real moto server through AWS_ENDPOINT_URL, as they would go to AWS. moto 5.2.5 has no
UpdateEndpoint, so the `update_endpoint_calls` fixture teaches it one that behaves as SageMaker's does: it repoints
the endpoint, and refuses a switch between real-time and serverless. Deploy tests pack a one-file stand-in
wheelhouse; the real wheels are checked in tests/test_model_archive_install.py.
"""
import datetime
import io
import json
import os
import subprocess
import sys
import tarfile

import boto3
import pytest
from moto.applicationautoscaling.models import applicationautoscaling_backends
from moto.sagemaker.exceptions import ValidationError
from moto.sagemaker.models import sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from devkit.onnx_models import write_tiny_model
from devkit.servers import PROJECT_ROOT, free_port
from scripts import deploy_model
from scripts.model_deploy import deployment, endpoint, images, scaling, wheelhouse
from scripts.model_deploy.archive import ARCHIVE_MTIME, build_model_archive
from scripts.model_deploy.errors import DeployError
from tests.aws_like import aws_like_sagemaker, contract_parameters, iam_lag  # noqa: F401

pytestmark = pytest.mark.usefixtures("contract_parameters")
"""Every AWS call these tests make is checked against the service model (tests/aws_like.py)."""

MOTO_ACCOUNT = "123456789012"
BUCKET = "thriller-model-artefacts"
STAGE = "dev"
APP = "is-this-movie-a-thriller"
STAND_IN_WHEEL = "standin-1.0-py3-none-any.whl"


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
def stand_in_wheels(tmp_path):
    folder = tmp_path / "wheels"
    folder.mkdir()
    (folder / STAND_IN_WHEEL).write_bytes(b"a wheel stands in here")
    return wheelhouse.Wheelhouse(folder, "3.12")


@pytest.fixture
def wheel_downloads(stand_in_wheels, monkeypatch):
    """The deploy packs the stand-in wheelhouse; records (python, glibc) of each download asked for."""
    asked = []

    def download_wheels(python, glibc):
        asked.append((python, glibc))
        return stand_in_wheels
    monkeypatch.setattr(deployment, "download_wheels", download_wheels)
    return asked


def packed(model_path, wheels) -> bytes:
    return build_model_archive(model_path, wheels).data


@pytest.fixture
def bucket(aws):
    boto3.client("s3").create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": aws})
    return BUCKET


@pytest.fixture
def update_endpoint_calls(aws, monkeypatch):
    """UpdateEndpoint for moto, as SageMaker does it: repoint the endpoint, InService at once, but refuse a switch
    between real-time and serverless, and a change of instance type of a variant registered with Application
    Auto Scaling (ValidationException both). Records the calls."""
    calls = []

    def update_endpoint(self):
        name, config_name = self._get_param("EndpointName"), self._get_param("EndpointConfigName")
        calls.append((name, config_name))
        backend = self.sagemaker_backend
        current = backend.describe_endpoint(name)["EndpointConfigName"]
        old, new = (backend.describe_endpoint_config(config)["ProductionVariants"][0]
                    for config in (current, config_name))
        if endpoint.serving_mode(old) != endpoint.serving_mode(new):
            raise ValidationError(
                message="Update of an endpoint between instance-based and serverless is not supported.")
        scaled = applicationautoscaling_backends[MOTO_ACCOUNT][aws].describe_scalable_targets(
            "sagemaker", [scaling.resource_id(name, old["VariantName"])], None)
        if scaled and old.get("InstanceType") != new.get("InstanceType"):
            raise ValidationError(message="The variant is registered with Application Auto Scaling: deregister it "
                                          "before changing its instance type.")
        updated = backend.create_endpoint(endpoint_name=name, endpoint_config_name=config_name, tags=[])
        return json.dumps({"EndpointArn": updated.arn})

    monkeypatch.setattr(SageMakerResponse, "update_endpoint", update_endpoint, raising=False)
    return calls


@pytest.fixture
def run(aws_like_sagemaker, update_endpoint_calls, wheel_downloads, bucket, model_file, capsys):
    """run(*extra args) -> (exit status, stdout, stderr) of the script deploying model_file to the dev stage."""
    def run_script(*extra: str, model=model_file, stage=STAGE):
        status = deploy_model.main(["--stage", stage, "--bucket", bucket, "--model", str(model), *extra])
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


def scalable_targets() -> list[dict]:
    return boto3.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker")["ScalableTargets"]


def scaling_policies() -> list[dict]:
    return boto3.client("application-autoscaling").describe_scaling_policies(
        ServiceNamespace="sagemaker")["ScalingPolicies"]


# The archive


def test_archive_holds_the_model_at_its_root_the_code_and_the_wheels_under_code(model_file, stand_in_wheels):
    data = packed(model_file, stand_in_wheels)
    files = {name for name, member in archive_files(data).items() if member.isfile()}
    code_modules = {name for name in files if name.startswith(("code/poster_model/", "code/chalicelib/"))}
    assert files == {"poster_classifier.onnx", "code/inference.py", "code/requirements.txt",
                     f"code/wheels/{STAND_IN_WHEEL}"} | code_modules
    assert archive_file(data, "poster_classifier.onnx") == model_file.read_bytes()
    assert archive_file(data, "code/inference.py") == (PROJECT_ROOT / "poster_model" / "sagemaker_inference.py").read_bytes()
    for name in code_modules:
        assert archive_file(data, name) == (PROJECT_ROOT / name.removeprefix("code/")).read_bytes()
    assert archive_file(data, f"code/wheels/{STAND_IN_WHEEL}") == (stand_in_wheels.folder / STAND_IN_WHEEL).read_bytes()


def test_the_code_shipped_is_what_the_inference_code_imports_and_no_more(model_file, stand_in_wheels):
    files = set(archive_files(packed(model_file, stand_in_wheels)))
    assert {"code/poster_model/__init__.py", "code/poster_model/invocation.py", "code/poster_model/predictor.py",
            "code/poster_model/preprocess.py"} <= files
    assert not files & {"code/poster_model/server.py", "code/poster_model/sagemaker_inference.py", "code/app.py",
                        "code/chalicelib/sagemaker_endpoint.py"}


def test_archive_requirements_install_only_the_shipped_wheels_without_an_index(model_file, stand_in_wheels):
    lines = archive_file(packed(model_file, stand_in_wheels), "code/requirements.txt").decode().splitlines()
    options = [line for line in lines if line and not line.startswith("#")]
    assert options == ["--no-index", "--find-links wheels", "standin==1.0"]


def test_the_wheels_asked_for_are_the_projects_pins_of_the_serving_packages():
    project_pins = {}
    for requirements_file in ("requirements.txt", "requirements-dev.txt"):
        for line in (PROJECT_ROOT / requirements_file).read_text().splitlines():
            if "==" in line:
                name, version = line.split("==")
                project_pins.setdefault(name.strip().lower(), version.strip())
    shipped = dict(line.split("==") for line in wheelhouse.serving_requirements())
    assert set(shipped) == {"onnxruntime", "numpy", "Pillow"}
    assert all(project_pins[name.lower()] == version for name, version in shipped.items())


def test_wheels_are_asked_for_every_manylinux_tag_the_images_glibc_runs():
    tags = wheelhouse.platform_tags((2, 35))
    assert tags[0] == "manylinux_2_35_x86_64" and "manylinux_2_28_x86_64" in tags and "manylinux_2_17_x86_64" in tags
    assert tags[-1] == "manylinux2014_x86_64"
    command = wheelhouse.pip_download_command(["numpy==2.4.6"], "3.12", (2, 35), PROJECT_ROOT / "x")
    assert command[command.index("--python-version") + 1] == "3.12"
    assert "--only-binary=:all:" in command


def test_an_unchanged_model_packs_to_the_same_bytes_whatever_the_file_times(model_file, stand_in_wheels):
    first = build_model_archive(model_file, stand_in_wheels)
    os.utime(model_file, (1_700_000_000, 1_700_000_000))
    second = build_model_archive(model_file, stand_in_wheels)
    assert second == first
    assert {member.mtime for member in archive_files(second.data).values()} == {ARCHIVE_MTIME}


def test_a_changed_model_packs_to_a_different_digest(model_file, stand_in_wheels, tmp_path):
    changed = write_tiny_model(tmp_path / "changed.onnx", classes=3)
    assert (build_model_archive(changed, stand_in_wheels).digest
            != build_model_archive(model_file, stand_in_wheels).digest)


def test_package_only_writes_the_archive_for_the_default_images_python_without_calling_aws(
        model_file, stand_in_wheels, wheel_downloads, tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    target = tmp_path / "model.tar.gz"
    assert deploy_model.main(["--package-only", str(target), "--model", str(model_file)]) == 0
    assert target.read_bytes() == packed(model_file, stand_in_wheels)
    assert wheel_downloads == [(images.DEFAULT_IMAGE.python, images.DEFAULT_IMAGE.glibc)]


# The container image


@pytest.mark.parametrize("region, partition, registry_host", [
    ("eu-west-1", "aws", "763104351884.dkr.ecr.eu-west-1.amazonaws.com"),
    ("eu-south-1", "aws", "692866216735.dkr.ecr.eu-south-1.amazonaws.com"),
    ("cn-north-1", "aws-cn", "727897471807.dkr.ecr.cn-north-1.amazonaws.com.cn"),
])
def test_the_image_is_the_pytorch_cpu_inference_image_of_the_region(region, partition, registry_host):
    assert images.container_image(region, partition) == f"{registry_host}/pytorch-inference:2.6.0-cpu-py312"


def test_a_region_without_a_known_image_is_refused_with_advice():
    with pytest.raises(DeployError, match="--image-uri"):
        images.container_image("xx-nowhere-1", "aws")


def test_the_image_table_records_each_images_python():
    assert {(image.tag, image.python) for image in images.KNOWN_IMAGES} >= {("2.6.0-cpu-py312", "3.12")}
    default = images.serving_image("eu-west-1", "aws", None, None, today=datetime.date(2026, 1, 1))
    assert (default.python, default.glibc) == ("3.12", (2, 35))


def test_an_image_of_unknown_python_asks_for_image_python():
    with pytest.raises(DeployError, match="--image-python"):
        images.serving_image("eu-west-1", "aws", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mine:1", None)
    described = images.serving_image("eu-west-1", "aws", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mine:1",
                                     "3.13")
    assert (described.python, described.glibc) == ("3.13", images.CUSTOM_IMAGE_GLIBC)


def test_an_image_past_its_end_of_patch_is_served_with_a_warning(capsys):
    images.serving_image("eu-west-1", "aws", None, None, today=datetime.date(2026, 7, 1))
    assert "past its end of patch" in capsys.readouterr().err


def test_image_uri_without_a_known_python_is_refused_before_any_change(run):
    status, _, err = run("--create-role", "--image-uri", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mine:1")
    assert_one_line_error(status, err, "--image-python")
    assert boto3.client("sagemaker").list_models()["Models"] == []


def test_image_python_decides_the_wheels_packed(run, wheel_downloads):
    status, _, err = run("--create-role", "--image-uri", "123456789012.dkr.ecr.eu-west-1.amazonaws.com/mine:1",
                       "--image-python", "3.13")
    assert status == 0, err
    assert wheel_downloads == [("3.13", images.CUSTOM_IMAGE_GLIBC)]


# Deploying


def test_first_deploy_creates_model_configuration_and_real_time_endpoint(run, aws, model_file, stand_in_wheels):
    status, out, err = run("--create-role")
    endpoint_name = stage_endpoint_name(STAGE)
    assert status == 0
    assert out.splitlines()[-1] == endpoint_name
    assert f"endpoint {endpoint_name}: InService" in err
    endpoint_ = boto3.client("sagemaker").describe_endpoint(EndpointName=endpoint_name)
    assert endpoint_["EndpointStatus"] == "InService"
    variant = deployed_variant(endpoint_name)
    assert (variant["InstanceType"], variant["InitialInstanceCount"]) == ("ml.c6i.large", 1)
    container = deployed_model(endpoint_name)["PrimaryContainer"]
    assert container["Image"] == images.container_image(aws, "aws")
    assert container["Environment"]["SAGEMAKER_PROGRAM"] == "inference.py"
    assert s3_object(container["ModelDataUrl"]) == packed(model_file, stand_in_wheels)


def test_the_artefact_key_contains_the_archive_digest(run, model_file, stand_in_wheels):
    run("--create-role")
    url = deployed_model(stage_endpoint_name(STAGE))["PrimaryContainer"]["ModelDataUrl"]
    assert build_model_archive(model_file, stand_in_wheels).digest[:16] in url


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


def test_a_changed_model_rolls_out_as_a_new_configuration(run, update_endpoint_calls, tmp_path, stand_in_wheels):
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
    assert s3_object(model_url) == packed(changed, stand_in_wheels)


def test_serverless_deploys_a_serverless_configuration(run):
    status, _, _ = run("--create-role", "--serverless", "2048")
    variant = deployed_variant(stage_endpoint_name(STAGE))
    assert status == 0
    assert variant["ServerlessConfig"]["MemorySizeInMB"] == 2048
    assert "InstanceType" not in variant
    assert scalable_targets() == []


def test_a_serverless_deploy_says_what_the_first_visitor_after_idling_gets(run):
    status, _, err = run("--create-role", "--serverless", "2048")
    assert status == 0
    [notice] = [line for line in err.splitlines() if line.startswith("note: serverless")]
    assert "stage dev gives up after 20 s" in notice and "(503 or 504)" in notice
    assert "--provisioned-concurrency 1" in notice


def test_provisioned_concurrency_keeps_serverless_invocations_warm(run):
    status, _, err = run("--create-role", "--serverless", "2048", "--max-concurrency", "5",
                         "--provisioned-concurrency", "2")
    assert status == 0
    assert "note: serverless" not in err
    assert deployed_variant(stage_endpoint_name(STAGE))["ServerlessConfig"] == {
        "MemorySizeInMB": 2048, "MaxConcurrency": 5, "ProvisionedConcurrency": 2}


@pytest.mark.parametrize("flags", [["--provisioned-concurrency", "1"],
                                   ["--serverless", "2048", "--max-concurrency", "2", "--provisioned-concurrency", "3"],
                                   ["--min-instances", "3", "--max-instances", "2"]],
                         ids=["without serverless", "above max concurrency", "min above max"])
def test_impossible_capacity_flags_are_refused_by_the_parser(run, flags):
    with pytest.raises(SystemExit) as exited:
        run("--create-role", *flags)
    assert exited.value.code == 2


@pytest.mark.parametrize("first, then, running", [
    ([], ["--serverless", "3072"], "real-time"),
    (["--serverless", "2048"], [], "serverless"),
])
def test_switching_serving_mode_is_refused_with_the_command_before_anything_changes(run, update_endpoint_calls,
                                                                                   first, then, running):
    run("--create-role", *first)
    before = sagemaker_state()
    status, _, err = run(*then)
    endpoint_name = stage_endpoint_name(STAGE)
    assert_one_line_error(status, err, f"is {running}", f"aws sagemaker delete-endpoint --endpoint-name {endpoint_name}",
                          "run this command again")
    assert update_endpoint_calls == []
    assert sagemaker_state() == before


def test_the_stand_in_update_endpoint_refuses_a_mode_switch_as_sagemaker_does(run):
    run("--create-role")
    sagemaker = boto3.client("sagemaker")
    [variant] = sagemaker.describe_endpoint_config(EndpointConfigName=sagemaker.describe_endpoint(
        EndpointName=stage_endpoint_name(STAGE))["EndpointConfigName"])["ProductionVariants"]
    sagemaker.create_endpoint_config(EndpointConfigName="serverless-one", ProductionVariants=[
        endpoint.serverless_variant(variant["ModelName"], 2048, 5, None)])
    with pytest.raises(sagemaker.exceptions.ClientError, match="serverless is not supported"):
        sagemaker.update_endpoint(EndpointName=stage_endpoint_name(STAGE), EndpointConfigName="serverless-one")


# Roles


def role_statements(role_name: str, policy_name: str) -> list[dict]:
    return boto3.client("iam").get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"][
        "Statement"]


def test_create_role_creates_the_stages_role_for_sagemaker_with_a_minimal_policy(run, aws):
    status, _, err = run("--create-role")
    iam = boto3.client("iam")
    role = iam.get_role(RoleName=f"{APP}-dev-sagemaker")["Role"]
    assert iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"] == [f"{APP}-dev-model-hosting"]
    statements = role_statements(role["RoleName"], f"{APP}-dev-model-hosting")
    actions = {action: statement["Resource"] for statement in statements
               for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])}
    assert status == 0
    assert set(actions) == {
        "s3:GetObject", "logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
        "logs:DescribeLogStreams", "ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
        "ecr:BatchCheckLayerAvailability", "cloudwatch:PutMetricData"}
    assert actions["cloudwatch:PutMetricData"] == "*"
    assert actions["s3:GetObject"] == f"arn:aws:s3:::{BUCKET}/{APP}/models/*"
    image = deployed_model(stage_endpoint_name(STAGE))["PrimaryContainer"]["Image"]
    registry_account, _, _, region = image.split("/")[0].split(".")[:4]
    assert actions["ecr:BatchGetImage"] == f"arn:aws:ecr:{region}:{registry_account}:repository/pytorch-inference"
    assert deployed_model(stage_endpoint_name(STAGE))["ExecutionRoleArn"] == role["Arn"]
    assert role["Arn"] in err and f"{APP}-dev-model-hosting" in err


def test_only_sagemaker_acting_for_resources_of_this_account_and_region_may_assume_the_role(run, aws):
    run("--create-role")
    trust = boto3.client("iam").get_role(RoleName=f"{APP}-dev-sagemaker")["Role"]["AssumeRolePolicyDocument"]
    assert trust["Statement"] == [{
        "Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:{aws}:{MOTO_ACCOUNT}:*"}}}]


def test_deploying_another_stage_leaves_the_first_stages_role_alone(run, aws):
    run("--create-role")
    dev_policy = role_statements(f"{APP}-dev-sagemaker", f"{APP}-dev-model-hosting")
    boto3.client("s3").create_bucket(Bucket="prod-artefacts", CreateBucketConfiguration={"LocationConstraint": aws})
    status = deploy_model.main(["--stage", "prod", "--bucket", "prod-artefacts", "--create-role", "--model",
                                str(PROJECT_ROOT / "model" / "poster_classifier.onnx")])
    assert status == 0
    assert role_statements(f"{APP}-dev-sagemaker", f"{APP}-dev-model-hosting") == dev_policy
    prod_policy = role_statements(f"{APP}-prod-sagemaker", f"{APP}-prod-model-hosting")
    assert prod_policy[0]["Resource"] == f"arn:aws:s3:::prod-artefacts/{APP}/models/*"
    assert deployed_model(stage_endpoint_name("prod"))["ExecutionRoleArn"].endswith(f"role/{APP}-prod-sagemaker")


def test_a_model_refused_while_the_roles_new_policy_propagates_is_retried(run, iam_lag, tmp_path):
    iam_lag.calls_refused = 0
    assert run("--create-role")[0] == 0
    iam_lag.calls_refused = 1
    status, _, err = run("--create-role", model=write_tiny_model(tmp_path / "changed.onnx", classes=3))
    assert status == 0, err
    assert iam_lag.refused == ["CreateModel"]
    assert iam_lag.pauses == [5]
    assert "waiting for IAM: CreateModel" in err


def test_a_role_that_stays_refused_ends_with_a_clear_error_after_a_bounded_wait(run, iam_lag):
    iam_lag.calls_refused = 1000
    status, _, err = run("--create-role")
    assert status == 1
    assert 0 < sum(iam_lag.pauses) <= 120
    assert err.splitlines()[-1].startswith("error: CreateModel with role") and "run again in a few minutes" in err


def test_create_role_with_an_image_outside_ecr_is_refused_in_one_sentence(run):
    status, _, err = run("--create-role", "--image-uri", "docker.io/library/python:3.12", "--image-python", "3.12")
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


# Scaling and logs


def test_a_real_time_endpoint_scales_on_invocations_per_instance(run):
    status, _, _ = run("--create-role")
    endpoint_name = stage_endpoint_name(STAGE)
    [target] = scalable_targets()
    [policy] = scaling_policies()
    assert status == 0
    assert (target["ResourceId"], target["ScalableDimension"]) == (
        f"endpoint/{endpoint_name}/variant/AllTraffic", "sagemaker:variant:DesiredInstanceCount")
    assert (target["MinCapacity"], target["MaxCapacity"]) == (1, 4)
    configuration = policy["TargetTrackingScalingPolicyConfiguration"]
    assert configuration["PredefinedMetricSpecification"]["PredefinedMetricType"] == (
        "SageMakerVariantInvocationsPerInstance")
    assert configuration["TargetValue"] == scaling.default_target("ml.c6i.large")


def test_the_default_instance_type_scales_and_has_the_int8_instructions_the_model_gains_most_from(run):
    status, _, _ = run("--create-role")
    [target] = scalable_targets()
    assert status == 0
    assert target["MaxCapacity"] > target["MinCapacity"]
    assert deployed_variant(stage_endpoint_name(STAGE))["InstanceType"].split(".")[1] in ("c6i", "m6i", "c7i")


@pytest.mark.parametrize("instance_type", ["ml.t2.medium", "ml.t3.large"])
def test_auto_scaling_a_burstable_instance_is_refused_before_anything_changes(run, capsys, instance_type):
    with pytest.raises(SystemExit) as refused:
        deploy_model.main(["--stage", STAGE, "--bucket", BUCKET, "--instance-type", instance_type])
    assert refused.value.code == 2
    assert f"SageMaker does not auto-scale burstable instances such as {instance_type}" in capsys.readouterr().err
    assert sagemaker_state() == {"models": {}, "configs": {}, "endpoints": {}}


def test_a_burstable_instance_deploys_with_a_fixed_count(run):
    status, _, err = run("--create-role", "--instance-type", "ml.t2.medium", "--max-instances", "1")
    assert status == 0, err
    assert scalable_targets() == []


def test_scaling_limits_and_target_follow_the_flags(run):
    status, _, _ = run("--create-role", "--instance-type", "ml.c5.large", "--min-instances", "2",
                       "--max-instances", "6", "--target-invocations", "240")
    [target] = scalable_targets()
    assert status == 0
    assert (target["MinCapacity"], target["MaxCapacity"]) == (2, 6)
    assert deployed_variant(stage_endpoint_name(STAGE))["InitialInstanceCount"] == 2
    assert scaling_policies()[0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == 240


def test_a_scaled_endpoint_changes_instance_type_and_scales_again(run, update_endpoint_calls):
    run("--create-role")
    status, _, err = run("--instance-type", "ml.c5.large")
    [target] = scalable_targets()
    assert status == 0, err
    assert deployed_variant(stage_endpoint_name(STAGE))["InstanceType"] == "ml.c5.large"
    assert len(update_endpoint_calls) == 1
    assert target["ResourceId"] == f"endpoint/{stage_endpoint_name(STAGE)}/variant/AllTraffic"
    assert scaling_policies()[0]["TargetTrackingScalingPolicyConfiguration"]["TargetValue"] == (
        scaling.default_target("ml.c5.large"))


def test_equal_min_and_max_instances_remove_the_scaling(run):
    run("--create-role")
    status, _, _ = run("--max-instances", "1")
    assert status == 0
    assert scalable_targets() == []


def test_an_instance_type_without_a_measured_throughput_needs_a_target(run):
    status, _, err = run("--create-role", "--instance-type", "ml.g5.xlarge")
    assert_one_line_error(status, err, "--target-invocations")
    assert boto3.client("sagemaker").list_models()["Models"] == []


def retention_of(group: str) -> int | None:
    [found] = [item for item in boto3.client("logs").describe_log_groups(logGroupNamePrefix=group)["logGroups"]
               if item["logGroupName"] == group]
    return found.get("retentionInDays")


def test_the_endpoints_logs_are_kept_thirty_days_by_default(run):
    run("--create-role")
    assert retention_of(f"/aws/sagemaker/Endpoints/{stage_endpoint_name(STAGE)}") == 30


def test_log_retention_follows_the_flag(run):
    run("--create-role", "--log-retention-days", "7")
    assert retention_of(f"/aws/sagemaker/Endpoints/{stage_endpoint_name(STAGE)}") == 7


# Refusals: one line on stderr, exit status 1, nothing deployed


def assert_one_line_error(status: int, err: str, *fragments: str) -> None:
    """The last line of stderr is the error; no traceback anywhere."""
    error_line = err.splitlines()[-1]
    assert status == 1
    assert error_line.startswith("error: ")
    assert "Traceback" not in err
    assert all(fragment in error_line for fragment in fragments)


def test_a_missing_bucket_is_a_clear_error(update_endpoint_calls, wheel_downloads, model_file, capsys):
    status = deploy_model.main(["--stage", STAGE, "--bucket", "no-such-bucket", "--model", str(model_file),
                                "--create-role"])
    assert_one_line_error(status, capsys.readouterr().err, "no-such-bucket", "does not exist")
    assert boto3.client("sagemaker").list_models()["Models"] == []


def test_a_bucket_in_another_region_is_a_clear_error(update_endpoint_calls, wheel_downloads, model_file, capsys):
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
    endpoint_ = sagemaker_backends[MOTO_ACCOUNT][aws].endpoints[stage_endpoint_name(STAGE)]
    endpoint_.endpoint_status, endpoint_.failure_reason = "Failed", "The primary container did not pass the ping"
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
    assert endpoint.resource_name(long_base, {"a": 1}) == endpoint.resource_name(long_base, {"a": 1})
    assert endpoint.resource_name("e", {"a": 1}) != endpoint.resource_name("e", {"a": 2})
    assert len(endpoint.resource_name(long_base, {"a": 1})) == 63
    assert endpoint.resource_name("endpoint", {"a": 1}).startswith("endpoint-")
