"""Insights: pure functions over plain data (idle GPUs, burn rate, …); no SDK, no Slack."""
