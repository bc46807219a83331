"""The export layouts ``costbot ingest --format`` accepts (kept light: the CLI imports it)."""

FORMATS = ("focus", "cur2", "cur")
