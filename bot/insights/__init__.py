"""Insights: pure functions over the store and plain data (chargeback, hints, unit costs …)."""
