"""Command-line tools: local stack, classifier, model training and deployment, feedback report.

May import chalicelib, poster_model, poster_training (training) and devkit (the local stack only); never tests.
"""
