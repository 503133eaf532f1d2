"""The development toolkit: local servers and their start and stop, a fake SageMaker, generated and hostile images,
API Gateway events and handler calls measured as deployed; for tests/, bench/ and `make run`, never shipped.

May import app, chalicelib, poster_model and scripts; never tests/ (the tests import it, not the other way round).
"""
