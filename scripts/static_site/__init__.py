"""Publishing static/ to S3, as a public website or privately behind CloudFront: one module per job.

`scripts/sync_static.py` is the command line; `publish.publish` runs the whole sync.
May import scripts only; never chalicelib, poster_model, devkit or tests.
"""
