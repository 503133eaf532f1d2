"""Application Auto Scaling for a real-time endpoint: more instances when invocations per instance rise.

Target tracking on SageMakerVariantInvocationsPerInstance (invocations per instance per minute). The default
target is half of what one instance of the type served in the bench measurement (bench/endpoint_throughput.py),
so a burst has room while new instances start (several minutes).
"""
from botocore.exceptions import ClientError

from scripts.aws_failures import error_code
from scripts.model_deploy.errors import DeployError, say

SCALABLE_DIMENSION = "sagemaker:variant:DesiredInstanceCount"
SCALE_OUT_COOLDOWN_SECONDS = 60
SCALE_IN_COOLDOWN_SECONDS = 300
TARGET_SHARE_OF_CAPACITY = 0.5
INSTANCE_REQUESTS_PER_SECOND = {
    "ml.c6i.large": 27.0,
    "ml.c6i.xlarge": 54.0,
    "ml.m6i.large": 27.0,
    "ml.m6i.xlarge": 54.0,
    "ml.c7i.large": 27.0,
    "ml.c7i.xlarge": 54.0,
    "ml.c5.large": 27.0,
    "ml.c5.xlarge": 54.0,
    "ml.m5.large": 27.0,
    "ml.m5.xlarge": 54.0,
}
"""Requests/s one instance serves for long, from bench/endpoint_throughput.py (22.5 requests per CPU-second of
one vCPU of this machine's AVX-512 VNNI CPU) with its stated assumptions: vCPUs x 0.6 (hyperthreads). ml.c6i/m6i
(Ice Lake) and ml.c7i (Sapphire Rapids) have VNNI like the measuring CPU; ml.c5/m5 may not (Skylake or Cascade Lake)
and then gain less from the int8 model. Burstable types (ml.t2, ml.t3) are absent: they cannot auto-scale."""


def resource_id(endpoint_name: str, variant_name: str) -> str:
    return f"endpoint/{endpoint_name}/variant/{variant_name}"


def default_target(instance_type: str) -> float:
    """Invocations per instance per minute to aim for with this instance type."""
    capacity = INSTANCE_REQUESTS_PER_SECOND.get(instance_type)
    if capacity is None:
        raise DeployError(f"no measured throughput for {instance_type}: pass --target-invocations (invocations per "
                          f"instance per minute) or use one of {', '.join(INSTANCE_REQUESTS_PER_SECOND)}.")
    return round(capacity * 60 * TARGET_SHARE_OF_CAPACITY)


def apply_scaling(autoscaling, endpoint_name: str, variant_name: str, minimum: int, maximum: int,
                  target_per_minute: float) -> None:
    """Register the variant between minimum and maximum instances with a target-tracking policy."""
    target = resource_id(endpoint_name, variant_name)
    autoscaling.register_scalable_target(ServiceNamespace="sagemaker", ResourceId=target,
                                         ScalableDimension=SCALABLE_DIMENSION, MinCapacity=minimum,
                                         MaxCapacity=maximum)
    autoscaling.put_scaling_policy(
        PolicyName=f"{endpoint_name}-invocations-per-instance", ServiceNamespace="sagemaker", ResourceId=target,
        ScalableDimension=SCALABLE_DIMENSION, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": float(target_per_minute),
            "PredefinedMetricSpecification": {"PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"},
            "ScaleOutCooldown": SCALE_OUT_COOLDOWN_SECONDS, "ScaleInCooldown": SCALE_IN_COOLDOWN_SECONDS})
    say(f"auto-scaling {target}: {minimum} to {maximum} instances, aiming at {target_per_minute:g} invocations "
        f"per instance per minute")


def is_registered(autoscaling, endpoint_name: str, variant_name: str) -> bool:
    targets = autoscaling.describe_scalable_targets(
        ServiceNamespace="sagemaker", ResourceIds=[resource_id(endpoint_name, variant_name)],
        ScalableDimension=SCALABLE_DIMENSION)["ScalableTargets"]
    return bool(targets)


def remove_scaling(autoscaling, endpoint_name: str, variant_name: str) -> None:
    """Deregister the variant (its policies go with it); nothing when it is not registered."""
    if not is_registered(autoscaling, endpoint_name, variant_name):
        return
    try:
        autoscaling.deregister_scalable_target(ServiceNamespace="sagemaker",
                                               ResourceId=resource_id(endpoint_name, variant_name),
                                               ScalableDimension=SCALABLE_DIMENSION)
    except ClientError as error:
        if error_code(error) != "ObjectNotFoundException":
            raise
    say(f"auto-scaling of {resource_id(endpoint_name, variant_name)} removed")
