"""Ship the poster classifier to SageMaker: package, roles, endpoint, scaling, logs and batch transform.

scripts/deploy_model.py and scripts/batch_transform.py are the command lines; each module here does one job.
May import scripts and poster_model (what the archive ships); never devkit or tests.
"""
