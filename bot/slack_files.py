"""Upload a file to Slack with the external-upload flow (files.upload is retired).

Three calls: ``files.getUploadURLExternal`` hands out a URL, the bytes are POSTed
to it, and ``files.completeUploadExternal`` finishes the upload and shares it in
a channel. slack_sdk's ``files_upload_v2`` does exactly those; this wrapper
fixes the arguments costbot uses and turns Slack's refusals into a
:class:`SlackUploadError` with a message fit for the user. Used by the
chargeback (its CSV) and by any job that posts a file (digest charts).
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.errors import CostbotError

_HINTS = {
    "not_in_channel": "invite costbot to the channel first (`/invite @costbot`)",
    "channel_not_found": "costbot cannot see that channel; invite it there",
    "missing_scope": "the app needs the files:write scope (see manifest.yml)",
}


class SlackUploadError(CostbotError):
    """Slack refused a file upload."""


@dataclass(frozen=True)
class UploadedFile:
    """What Slack says about a finished upload."""

    file_id: str
    title: str


def upload_file(
    client: WebClient,
    *,
    channel: str,
    filename: str,
    content: bytes,
    title: str | None = None,
    comment: str | None = None,
    thread_ts: str | None = None,
) -> UploadedFile:
    """Upload ``content`` as ``filename`` and share it in ``channel`` (optionally in a thread)."""
    try:
        response = client.files_upload_v2(
            channel=channel,
            filename=filename,
            content=content,
            title=title or filename,
            initial_comment=comment,
            thread_ts=thread_ts,
            request_file_info=False,
        )
    except SlackApiError as exc:
        error = str(exc.response.get("error", "unknown_error"))
        hint = _HINTS.get(error, "try again later")
        raise SlackUploadError(f"Slack refused the upload of {filename} ({error}): {hint}") from exc
    files = response.get("files") or [response.get("file") or {}]
    first = files[0] if files else {}
    return UploadedFile(file_id=str(first.get("id", "")), title=str(first.get("title", title)))
