"""Make the harness fixtures available to the harness's own tests."""

from .fixtures import slack_client_sim, slack_emulator

__all__ = ["slack_client_sim", "slack_emulator"]
