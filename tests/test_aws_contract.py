"""scripts/aws_contract.py (AWS's rules that no service model encodes), the service-model check every deploy test runs
(tests/aws_like.py), and the local endpoint refusing what SageMaker refuses."""
import boto3
import pytest
from botocore.exceptions import ClientError

from poster_model import invocation, server
from scripts import aws_contract
from tests.aws_like import contract_violations


def service_model(name: str):
    return boto3.client(name, region_name="eu-west-1").meta.service_model


def client_error(code: str, message: str, operation: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


# The service-model check


def test_a_value_outside_the_models_enum_is_a_violation():
    shape = service_model("sagemaker").operation_model("CreateTransformJob").input_shape
    found = contract_violations({"TransformResources": {"InstanceType": "ml.c5.large", "InstanceCount": 1}}, shape,
                                "CreateTransformJobRequest")
    assert found == ["CreateTransformJobRequest.TransformResources.InstanceType: 'ml.c5.large' is not one of the "
                     "model's values"], "ml.c5.large hosts endpoints but runs no transform job"


def test_a_string_over_the_models_maximum_is_a_violation():
    shape = service_model("sagemaker-runtime").operation_model("InvokeEndpoint").input_shape
    found = contract_violations({"EndpointName": "e", "Body": b"x", "CustomAttributes": "a" * 1025}, shape, "Invoke")
    assert found == ["Invoke.CustomAttributes: 1025 characters, more than 1024"]


def test_a_value_that_breaks_the_models_pattern_is_a_violation():
    shape = service_model("sagemaker").operation_model("CreateEndpoint").input_shape
    assert contract_violations({"EndpointName": "under_scores", "EndpointConfigName": "c"}, shape, "Create") == [
        "Create.EndpointName: 'under_scores' does not match [a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"]


def test_a_call_within_the_model_has_no_violation():
    shape = service_model("sagemaker").operation_model("CreateTransformJob").input_shape
    assert contract_violations({"TransformJobName": "run-1", "MaxConcurrentTransforms": 16, "MaxPayloadInMB": 6,
                                "TransformResources": {"InstanceType": "ml.m5.large", "InstanceCount": 1}},
                               shape, "CreateTransformJobRequest") == []


# What the contract module holds


def test_burstable_instances_cannot_auto_scale_and_the_others_can():
    assert "burstable" in aws_contract.auto_scaling_refusal("ml.t2.medium")
    assert "burstable" in aws_contract.auto_scaling_refusal("ml.t3.xlarge")
    assert aws_contract.auto_scaling_refusal("ml.c6i.large") is None


@pytest.mark.parametrize("concurrency, payload_mb, refused", [(16, 6, False), (17, 6, True), (1, 100, False),
                                                              (2, 50, False), (3, 50, True)])
def test_a_transform_job_may_have_at_most_100_mb_of_payload_in_flight_per_instance(concurrency, payload_mb, refused):
    assert (aws_contract.transform_payload_refusal(concurrency, payload_mb) is not None) is refused


def test_cloudfronts_method_lists_compare_as_sets_and_other_lists_in_order():
    wanted = {"AllowedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"],
                                 "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]}}}
    answered = {"AllowedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"],
                                   "CachedMethods": {"Quantity": 2, "Items": ["HEAD", "GET"]}}}
    assert aws_contract.same_setting(answered, wanted)
    assert not aws_contract.same_setting({"Origins": {"Items": [{"Id": "b"}, {"Id": "a"}]}},
                                         {"Origins": {"Items": [{"Id": "a"}, {"Id": "b"}]}})
    assert not aws_contract.same_setting({"QueryStrings": {"Items": ["w", "v"]}},
                                         {"QueryStrings": {"Items": ["v", "w"]}})


def test_missing_is_told_by_the_codes_each_operation_declares():
    sagemaker = boto3.client("sagemaker", region_name="eu-west-1")
    assert aws_contract.not_found_codes(sagemaker, "DescribeTransformJob") == {"ResourceNotFound"}
    assert aws_contract.is_not_found(sagemaker, "DescribeTransformJob",
                                     client_error("ResourceNotFound", "no such job", "DescribeTransformJob"))
    assert not aws_contract.is_not_found(sagemaker, "DescribeTransformJob", client_error(
        "ValidationException", "Could not find transform job", "DescribeTransformJob")), \
        "moto's answer, not one DescribeTransformJob declares"


def test_sagemaker_operations_that_declare_no_error_are_missing_on_could_not_find():
    sagemaker = boto3.client("sagemaker", region_name="eu-west-1")
    assert aws_contract.not_found_codes(sagemaker, "DescribeEndpoint") == set()
    assert aws_contract.is_not_found(sagemaker, "DescribeEndpoint", client_error(
        "ValidationException", "Could not find endpoint \"x\".", "DescribeEndpoint"))
    assert not aws_contract.is_not_found(sagemaker, "DescribeEndpoint", client_error(
        "ValidationException", "1 validation error detected", "DescribeEndpoint"))


def test_iams_own_missing_code_comes_from_its_model():
    assert aws_contract.not_found_codes(boto3.client("iam"), "GetRole") == {"NoSuchEntity"}


@pytest.mark.parametrize("code, message, propagating", [
    ("AccessDenied", "Access Denied", True),
    ("ValidationException", "Could not assume role arn:aws:iam::1:role/r", True),
    ("ValidationException", "1 validation error detected", False),
    ("ResourceLimitExceeded", "too many", False)])
def test_which_answers_mean_a_policy_is_not_in_force_yet(code, message, propagating):
    assert aws_contract.is_iam_propagation_error(client_error(code, message, "CreateModel")) is propagating


# CustomAttributes, as SageMaker limits them


def test_the_custom_attributes_limit_is_the_service_models():
    shape = service_model("sagemaker-runtime").operation_model("InvokeEndpoint").input_shape
    assert shape.members["CustomAttributes"].metadata["max"] == aws_contract.MAX_CUSTOM_ATTRIBUTES_CHARS \
        == server.MAX_CUSTOM_ATTRIBUTES_CHARS


@pytest.fixture
def local_endpoint():
    """The local endpoint's Flask app without a model: a request the limit lets through fails further on."""
    return server.create_app(classifier=None).test_client()


def invoke(client, custom_attributes: str):
    return client.post("/endpoints/is-this-movie-a-thriller-local/invocations", data=b"",
                       headers={"Content-Type": "application/x-image",
                                invocation.CUSTOM_ATTRIBUTES_HEADER: custom_attributes})


def test_the_local_endpoint_refuses_custom_attributes_over_1024_characters_as_sagemaker_does(local_endpoint):
    answer = invoke(local_endpoint, "explain=1;" + "x" * 1015)
    assert answer.status_code == 400
    assert answer.headers["x-amzn-ErrorType"] == "ValidationError"
    assert "less than or equal to 1024" in answer.get_json()["message"]


def test_the_local_endpoint_takes_1024_characters_of_custom_attributes(local_endpoint):
    answer = invoke(local_endpoint, "explain=1;" + "x" * 1014)
    assert (answer.status_code, answer.headers.get("x-amzn-ErrorType")) != (400, "ValidationError")
