"""Training-time code for model/poster_classifier.onnx (torch, scikit-learn): never shipped or served."""
