"""Which container image serves the model, and which Python and platform its wheels must be built for.

The model.tar.gz carries wheels for the image's own interpreter (see wheelhouse.py), so the image table records
each image's Python and C library; an image outside the table must be described with --image-python.
"""
import datetime
import re
from dataclasses import dataclass

from scripts.model_deploy.errors import DeployError, say


@dataclass(frozen=True)
class InferenceImage:
    repository: str
    tag: str
    python: str
    """X.Y of the image's interpreter: the wheels' --python-version."""
    glibc: tuple[int, int]
    """The image's C library: wheels tagged manylinux up to this version run there."""
    end_of_patch: datetime.date | None = None


# The AWS PyTorch inference image runs any Python inference.py with the SageMaker inference toolkit, which
# pip-installs code/requirements.txt at start. 2.6.0-cpu-py312: Python 3.12 on Ubuntu 22.04 (glibc 2.35),
# toolkit sagemaker-pytorch-inference 2.0.25; AWS publishes no newer PyTorch *inference* image (2.11+ `pytorch`
# images are not configured for serving), so a newer image of your own goes through --image-uri/--image-python.
PYTORCH_INFERENCE_2_6 = InferenceImage("pytorch-inference", "2.6.0-cpu-py312", "3.12", (2, 35),
                                       datetime.date(2026, 6, 30))
KNOWN_IMAGES = (PYTORCH_INFERENCE_2_6,)
DEFAULT_IMAGE = PYTORCH_INFERENCE_2_6
CUSTOM_IMAGE_GLIBC = (2, 28)
"""What an image outside the table is assumed to have: every current AWS deep learning container has more."""

# Registry account of the AWS PyTorch inference images (x86, version 2.6.0) per region, as in the
# SageMaker Python SDK's table sagemaker-core/src/sagemaker/core/image_uri_config/pytorch.json
# ("inference" -> "versions" -> "2.6.0" -> "registries"), which image_uris.retrieve(framework="pytorch",
# version="2.6.0", py_version="py312", image_scope="inference", instance_type="ml.*") reads. Kept here
# instead of depending on the SDK (sagemaker 3.x is a meta-package pulling sagemaker-core, -train, -serve
# and -mlops).
PYTORCH_INFERENCE_REGISTRIES = {
    "af-south-1": "626614931356",
    "ap-east-1": "871362719292",
    "ap-east-2": "975050140332",
    "ap-northeast-1": "763104351884",
    "ap-northeast-2": "763104351884",
    "ap-northeast-3": "364406365360",
    "ap-south-1": "763104351884",
    "ap-south-2": "772153158452",
    "ap-southeast-1": "763104351884",
    "ap-southeast-2": "763104351884",
    "ap-southeast-3": "907027046896",
    "ap-southeast-4": "457447274322",
    "ap-southeast-5": "550225433462",
    "ap-southeast-6": "633930458069",
    "ap-southeast-7": "590183813437",
    "ca-central-1": "763104351884",
    "ca-west-1": "204538143572",
    "cn-north-1": "727897471807",
    "cn-northwest-1": "727897471807",
    "eu-central-1": "763104351884",
    "eu-central-2": "380420809688",
    "eu-north-1": "763104351884",
    "eu-south-1": "692866216735",
    "eu-south-2": "503227376785",
    "eu-west-1": "763104351884",
    "eu-west-2": "763104351884",
    "eu-west-3": "763104351884",
    "il-central-1": "780543022126",
    "me-central-1": "914824155844",
    "me-south-1": "217643126080",
    "mx-central-1": "637423239942",
    "sa-east-1": "763104351884",
    "us-east-1": "763104351884",
    "us-east-2": "763104351884",
    "us-gov-east-1": "446045086412",
    "us-gov-west-1": "442386744353",
    "us-west-1": "763104351884",
    "us-west-2": "763104351884",
}
PARTITION_DNS_SUFFIXES = {"aws": "amazonaws.com", "aws-cn": "amazonaws.com.cn", "aws-us-gov": "amazonaws.com"}
PYTHON_VERSION = re.compile(r"3\.\d{1,2}")


@dataclass(frozen=True)
class ServingImage:
    """The image an endpoint runs, and what its wheels are built for."""

    uri: str
    python: str
    glibc: tuple[int, int]


def container_image(region: str, partition: str, image: InferenceImage = DEFAULT_IMAGE) -> str:
    """The AWS image's URI in region (see PYTORCH_INFERENCE_REGISTRIES)."""
    account = PYTORCH_INFERENCE_REGISTRIES.get(region)
    if account is None or partition not in PARTITION_DNS_SUFFIXES:
        raise DeployError(f"no AWS PyTorch inference image is known for region {region}: pass --image-uri and "
                          f"--image-python, or use one of {', '.join(sorted(PYTORCH_INFERENCE_REGISTRIES))}.")
    return f"{account}.dkr.ecr.{region}.{PARTITION_DNS_SUFFIXES[partition]}/{image.repository}:{image.tag}"


def known_image(uri: str) -> InferenceImage | None:
    """The table's entry for an image URI of any region, if it is one of the table's images."""
    repository_and_tag = uri.rsplit("/", 1)[-1]
    return next((image for image in KNOWN_IMAGES if repository_and_tag == f"{image.repository}:{image.tag}"), None)


def wheel_target(uri: str | None, image_python: str | None) -> tuple[str, tuple[int, int]]:
    """(Python, glibc) the wheels are built for: those of a known image (uri None: the default image), or
    --image-python's for another one."""
    if image_python is not None and not PYTHON_VERSION.fullmatch(image_python):
        raise DeployError(f"--image-python {image_python} is not a Python version like 3.12.")
    known = DEFAULT_IMAGE if uri is None else known_image(uri)
    if image_python is None and known is None:
        raise DeployError(f"the Python of image {uri} is not known: pass --image-python X.Y (the version its "
                          f"`python3 --version` prints), so that model.tar.gz carries wheels that install there.")
    if image_python is None or (known is not None and known.python == image_python):
        return known.python, known.glibc
    return image_python, CUSTOM_IMAGE_GLIBC


def serving_image(region: str, partition: str, image_uri: str | None, image_python: str | None,
                  today: datetime.date | None = None) -> ServingImage:
    """The image to serve with, from the flags: the default image, a known one, or one described by --image-python."""
    python, glibc = wheel_target(image_uri, image_python)
    uri = image_uri or container_image(region, partition)
    known = known_image(uri)
    if known is not None and known.end_of_patch and (today or datetime.date.today()) > known.end_of_patch:
        say(f"warning: image {known.repository}:{known.tag} is past its end of patch ({known.end_of_patch}); "
            f"pass --image-uri and --image-python to serve with a newer image of yours")
    return ServingImage(uri, python, glibc)
