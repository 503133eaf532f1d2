"""scripts/batch_transform.py: a whole catalogue through a SageMaker Batch Transform job, against moto.

moto records a transform job and calls it Completed at once, without running anything. The `container_transform`
fixture makes its CreateTransformJob do what SageMaker's does with this job's settings: for each manifest entry,
one request with the job's ContentType and Accept to the container code shipped in model.tar.gz (its transform_fn,
as the toolkit calls it), the answer written to the output path as <relative key>.out; a refused image fails the
job and gets no answer. The lines are then compared with a local `scripts/classify.py` run on the same files.
"""
import json

import boto3
import pytest
from moto.s3.models import s3_backends
from moto.sagemaker.models import sagemaker_backends
from moto.sagemaker.responses import SageMakerResponse

from devkit.images import encode, poster, poster_jpeg
from devkit.onnx_models import model_path_for_tests
from devkit.servers import unpack_model_archive
from scripts import batch_transform, classify, deploy_model
from scripts.model_deploy import batch, deployment
from scripts.model_deploy.archive import build_model_archive
from scripts.model_deploy.wheelhouse import Wheelhouse
from tests.aws_like import aws_like_sagemaker, contract_parameters, iam_lag  # noqa: F401
from tests.test_sagemaker_inference import load_inference_module

pytestmark = pytest.mark.usefixtures("contract_parameters")
"""Every AWS call these tests make is checked against the service model (tests/aws_like.py)."""

MOTO_ACCOUNT = "123456789012"
APP = "is-this-movie-a-thriller"
CATALOGUE_BUCKET, ANSWERS_BUCKET = "thriller-catalogue", "thriller-answers"
CATALOGUE = {
    "posters/heat.jpg": poster_jpeg(seed=21),
    "posters/noir/the-third-man.png": encode(poster(seed=22), "PNG"),
    "posters/noir/vertigo.webp": encode(poster(seed=23), "WEBP"),
    "posters/README.txt": b"not an image: classify.py skips it in a folder, and so does the manifest",
}


@pytest.fixture(scope="module")
def model_path(tmp_path_factory):
    return model_path_for_tests(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="module")
def container(model_path, tmp_path_factory):
    """(inference module, loaded model) of model.tar.gz as the container runs them."""
    archive = build_model_archive(model_path, Wheelhouse(tmp_path_factory.mktemp("no-wheels"), "3.12"))
    model_dir = unpack_model_archive(archive.data, tmp_path_factory.mktemp("opt-ml-model"))
    module = load_inference_module(model_dir / "code" / "inference.py")
    return module, module.model_fn(str(model_dir))


@pytest.fixture
def container_transform(aws, container, monkeypatch):
    """CreateTransformJob runs the container code on every manifest entry, as SageMaker does; records the specs."""
    specs = []
    original = SageMakerResponse.create_transform_job
    module, model = container

    def create_transform_job(self):
        result = original(self)
        specs.append(json.loads(self.body))
        run_job(specs[-1], module, model, sagemaker_backends[MOTO_ACCOUNT][aws])
        return result

    monkeypatch.setattr(SageMakerResponse, "create_transform_job", create_transform_job)
    return specs


def run_job(spec: dict, module, model, sagemaker_backend) -> None:
    s3 = s3_backends[MOTO_ACCOUNT]["aws"]
    manifest_bucket, manifest_key = spec["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"][5:].split("/", 1)
    prefix_entry, *keys = json.loads(s3.get_object(manifest_bucket, manifest_key).value)
    input_bucket, input_prefix = prefix_entry["prefix"][5:].split("/", 1)
    output_bucket, _, output_prefix = spec["TransformOutput"]["S3OutputPath"][5:].partition("/")
    job = sagemaker_backend.transform_jobs[spec["TransformJobName"]]
    for key in keys:
        body = s3.get_object(input_bucket, input_prefix + key).value
        try:
            answer, _ = module.transform_fn(model, body, spec["TransformInput"]["ContentType"],
                                            spec["TransformOutput"]["Accept"])
        except module.BaseInferenceToolkitError as error:
            job.transform_job_status = "Failed"
            job.failure_reason = f"ClientError: {error.status_code} {error.message}"
            continue
        s3.put_object(output_bucket, f"{output_prefix}/{key}.out".lstrip("/"), answer)


@pytest.fixture
def deployed_stage(aws, aws_like_sagemaker, model_path, monkeypatch, tmp_path, capsys):
    """The dev stage's endpoint deployed with the project's script (and its role)."""
    s3 = boto3.client("s3")
    for bucket in ("model-artefacts", CATALOGUE_BUCKET, ANSWERS_BUCKET):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": aws})
    monkeypatch.setattr(deployment, "download_wheels", lambda python, glibc: Wheelhouse(tmp_path, python))
    assert deploy_model.main(["--stage", "dev", "--bucket", "model-artefacts", "--create-role", "--model",
                              str(model_path), "--max-instances", "1"]) == 0
    capsys.readouterr()


@pytest.fixture
def catalogue(deployed_stage):
    s3 = boto3.client("s3")
    for key, data in CATALOGUE.items():
        s3.put_object(Bucket=CATALOGUE_BUCKET, Key=key, Body=data)
    return CATALOGUE


def run_batch(capsys, *extra: str, catalogue_url=f"s3://{CATALOGUE_BUCKET}/posters/",
              answers_url=f"s3://{ANSWERS_BUCKET}/run-1/"):
    status = batch_transform.main(["--stage", "dev", catalogue_url, answers_url, *extra])
    output = capsys.readouterr()
    return status, [json.loads(line) for line in output.out.splitlines()], output.err


def local_run_lines(files: dict[str, bytes], model_path, tmp_path, capsys) -> list[dict]:
    """What `scripts/classify.py FOLDER --model MODEL` writes for the same files, paths made relative."""
    folder = tmp_path / "catalogue"
    for key, data in files.items():
        (folder / key).parent.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(data)
    classify.main([str(folder / "posters"), "--model", str(model_path)])
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    return [{**line, "path": line["path"].removeprefix(str(folder) + "/")} for line in lines]


def test_a_catalogue_gets_the_same_lines_as_a_local_classify_run(container_transform, catalogue, model_path,
                                                                 tmp_path, capsys):
    status, lines, err = run_batch(capsys)
    expected = local_run_lines(catalogue, model_path, tmp_path, capsys)
    assert status == 0
    assert [{**line, "path": line["path"].removeprefix(f"s3://{CATALOGUE_BUCKET}/")} for line in lines] == expected
    assert "3/3 answers" in err


def test_the_job_sends_each_image_alone_as_the_endpoint_gets_it_with_the_endpoints_model(container_transform,
                                                                                        catalogue, capsys):
    run_batch(capsys)
    [spec] = container_transform
    sagemaker = boto3.client("sagemaker")
    endpoint_config = sagemaker.describe_endpoint(EndpointName=f"{APP}-dev")["EndpointConfigName"]
    [variant] = sagemaker.describe_endpoint_config(EndpointConfigName=endpoint_config)["ProductionVariants"]
    assert spec["ModelName"] == variant["ModelName"]
    assert (spec["BatchStrategy"], spec["MaxPayloadInMB"]) == ("SingleRecord", 6)
    assert spec["TransformInput"]["ContentType"] == "application/x-image"
    assert spec["TransformInput"]["SplitType"] == "None"
    assert spec["TransformOutput"]["Accept"] == "application/json"
    manifest_url = spec["TransformInput"]["DataSource"]["S3DataSource"]["S3Uri"]
    manifest = json.loads(boto3.client("s3").get_object(Bucket=ANSWERS_BUCKET, Key=manifest_url.split("/", 3)[3])[
        "Body"].read())
    assert manifest == [{"prefix": f"s3://{CATALOGUE_BUCKET}/posters/"}, "heat.jpg", "noir/the-third-man.png",
                        "noir/vertigo.webp"]


def test_an_image_the_container_refuses_fails_the_job_and_gets_an_error_line(container_transform, catalogue,
                                                                             capsys):
    boto3.client("s3").put_object(Bucket=CATALOGUE_BUCKET, Key="posters/broken.jpg", Body=b"not a jpeg at all")
    status, lines, err = run_batch(capsys)
    by_path = {line["path"].rsplit("/", 1)[-1]: line for line in lines}
    assert status == 1
    assert "error" in by_path["broken.jpg"] and "not a readable image" in by_path["broken.jpg"]["error"]
    assert all("verdict" in line for name, line in by_path.items() if name != "broken.jpg")
    assert err.splitlines()[-1].startswith("error: batch transform") and "1 of 4 images" in err


def test_the_stage_role_may_read_the_catalogue_and_write_the_answers(container_transform, catalogue, capsys):
    run_batch(capsys)
    document = boto3.client("iam").get_role_policy(RoleName=f"{APP}-dev-sagemaker",
                                                   PolicyName=f"{APP}-dev-batch-transform")["PolicyDocument"]
    grants = {statement["Sid"]: (statement["Action"], statement["Resource"]) for statement in document["Statement"]}
    assert grants["ReadCatalogue"] == ("s3:GetObject", f"arn:aws:s3:::{CATALOGUE_BUCKET}/posters/*")
    assert grants["WriteAnswers"] == ("s3:PutObject", f"arn:aws:s3:::{ANSWERS_BUCKET}/run-1/*")
    assert grants["ListCatalogue"][1] == f"arn:aws:s3:::{CATALOGUE_BUCKET}"


def test_transform_logs_are_kept_thirty_days(container_transform, catalogue, capsys):
    run_batch(capsys)
    groups = boto3.client("logs").describe_log_groups(logGroupNamePrefix="/aws/sagemaker/TransformJobs")["logGroups"]
    assert [group["retentionInDays"] for group in groups] == [30]


def test_a_retention_already_set_on_the_accounts_shared_transform_log_group_is_kept(container_transform, catalogue,
                                                                                    capsys):
    logs = boto3.client("logs")
    logs.create_log_group(logGroupName="/aws/sagemaker/TransformJobs")
    logs.put_retention_policy(logGroupName="/aws/sagemaker/TransformJobs", retentionInDays=365)
    status, _, err = run_batch(capsys, "--log-retention-days", "7")
    groups = logs.describe_log_groups(logGroupNamePrefix="/aws/sagemaker/TransformJobs")["logGroups"]
    assert status == 0
    assert [group["retentionInDays"] for group in groups] == [365]
    assert "keeps its logs 365 days, as already set for the whole account" in err


def test_a_new_job_name_starts_that_job(container_transform, catalogue, capsys):
    status, lines, err = run_batch(capsys, "--job-name", "catalogue-run-2")
    assert status == 0 and len(lines) == 3
    assert [spec["TransformJobName"] for spec in container_transform] == ["catalogue-run-2"]
    assert "started batch transform catalogue-run-2" in err


def test_a_job_refused_while_the_new_batch_policy_propagates_is_retried(container_transform, catalogue, iam_lag,
                                                                       capsys):
    status, lines, err = run_batch(capsys)
    assert status == 0 and len(lines) == 3
    assert iam_lag.refused == ["CreateTransformJob"]
    assert iam_lag.pauses == [5]
    assert "waiting for IAM: CreateTransformJob" in err


def test_more_concurrency_than_the_100_mb_transform_limit_allows_is_refused_before_any_call(
        container_transform, catalogue, capsys):
    with pytest.raises(SystemExit) as refused:
        run_batch(capsys, "--concurrency", "17")
    assert refused.value.code == 2
    assert "MaxConcurrentTransforms x MaxPayloadInMB over 100 MB" in capsys.readouterr().err
    assert boto3.client("sagemaker").list_transform_jobs()["TransformJobSummaries"] == []


def test_the_largest_concurrency_within_the_limit_is_sent(container_transform, catalogue, capsys):
    status, _, _ = run_batch(capsys, "--concurrency", "16")
    [spec] = container_transform
    assert status == 0
    assert spec["MaxConcurrentTransforms"] * spec["MaxPayloadInMB"] <= 100


def test_a_job_name_that_exists_is_followed_instead_of_started_again(container_transform, catalogue, capsys):
    run_batch(capsys, "--job-name", "catalogue-run-1")
    status, lines, err = run_batch(capsys, "--job-name", "catalogue-run-1")
    assert status == 0 and len(lines) == 3
    assert len(container_transform) == 1
    assert "following batch transform catalogue-run-1" in err


def test_without_the_stages_endpoint_the_error_says_to_deploy_it(aws, capsys):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=CATALOGUE_BUCKET, CreateBucketConfiguration={"LocationConstraint": aws})
    s3.put_object(Bucket=CATALOGUE_BUCKET, Key="posters/heat.jpg", Body=CATALOGUE["posters/heat.jpg"])
    status, lines, err = run_batch(capsys)
    assert status == 1 and lines == []
    assert "deploy_model.py" in err.splitlines()[-1] and "Traceback" not in err


def test_a_catalogue_without_images_is_refused(deployed_stage, capsys):
    boto3.client("s3").put_object(Bucket=CATALOGUE_BUCKET, Key="posters/README.txt", Body=b"text")
    status, _, err = run_batch(capsys)
    assert status == 1 and "holds no image files" in err


def test_an_answers_location_that_is_not_an_s3_url_is_refused(deployed_stage, capsys):
    status, _, err = run_batch(capsys, answers_url="/tmp/answers")
    assert status == 1 and "not an S3 folder URL" in err


@pytest.mark.parametrize("written", ["run-1/noir/vertigo.webp.out", "run-1/posters/noir/vertigo.webp.out"],
                         ids=["relative to the manifest prefix", "under the input folder's name, as AWS's docs show"])
def test_an_answer_is_found_in_either_layout_of_the_output_path(written):
    answers = batch.S3Location.parse(f"s3://{ANSWERS_BUCKET}/run-1/")
    assert batch.answer_key_of("noir/vertigo.webp", answers, {written, "run-1/heat.jpg.out"}) == written
