"""Everything the Lambda function needs beyond app.py's routes; shipped to Lambda as is."""
