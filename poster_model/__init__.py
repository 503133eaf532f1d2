"""The poster classifier: one ONNX file plus the Pillow/numpy code that feeds it.

Used by the local SageMaker-compatible endpoint, the command-line classifier and the
SageMaker inference code; never by the Lambda function (see chalicelib/).
"""
