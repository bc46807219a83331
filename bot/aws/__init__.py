"""AWS adapters: they take boto3 clients from the composition root and translate SDK errors."""
