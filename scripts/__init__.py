"""Command-line tools: local stack, classifier, model training and deployment."""
