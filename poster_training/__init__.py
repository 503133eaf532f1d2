"""Training-time code for model/poster_classifier.onnx (torch, scikit-learn): never shipped or served.

May import itself (its data/ included) and poster_model; never scripts, devkit or tests (scripts/train_model.py is
the command line that calls it).
"""
