"""The cost domain: store, ingestion, query grammar and engine. Knows nothing of Slack."""
