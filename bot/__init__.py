"""costbot: Slack ChatOps for AI/GPU cloud spend on AWS."""

__version__ = "0.1.0"
