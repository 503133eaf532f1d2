"""The specification: pytest tests of the API, the page, the model, the deploy tooling and the benchmarks' claims.

May import anything in the repository, devkit above all (servers, fakes, images); nothing outside tests/ imports it.
"""
