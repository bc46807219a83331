"""Insights: pure functions over the store and plain data (idle GPUs, burn rate, chargeback,
hints, unit costs …); no SDK, no Slack."""
