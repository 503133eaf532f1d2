"""The poster classifier: one ONNX file plus the Pillow/numpy code that feeds it.

Used by the local SageMaker-compatible endpoint, the command-line classifier and the
SageMaker inference code; never by the Lambda function (see chalicelib/).
May import itself and chalicelib's image decoding and logging (shipped inside model.tar.gz with it); never
poster_training, scripts, devkit or tests.
"""
