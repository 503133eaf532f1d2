"""Everything the Lambda function needs beyond app.py's routes; shipped to Lambda as is.

May import only itself, requirements.txt and the Lambda runtime (boto3); never poster_model, poster_training,
scripts, devkit or tests, none of which reach Lambda.
"""
