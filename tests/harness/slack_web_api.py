"""Answer Slack Web API methods the way Slack does, without any HTTP.

``WebApi.call(method, args)`` validates the arguments against Slack's OpenAPI spec and the
Block Kit limits, then runs the method against a small in-memory ``Workspace``. Refusals are
raised as ``SlackError`` carrying the error code Slack itself uses, so the HTTP layer in
``slack_emulator`` only has to turn them into JSON.

Error codes follow Slack's method pages and the spec's error enums. Where Slack is known to
answer a missing argument with a "not found" code (chat.postMessage without ``channel`` ->
``channel_not_found``), that code is used; any other missing required argument gets the
generic ``invalid_arguments`` with ``response_metadata.messages``, which is what Slack
answers for, e.g., conversations.info without ``channel``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .block_kit import (
    MESSAGE_BLOCKS_JSON_CHARS,
    MESSAGE_TEXT_CHARS,
    blocks_json_size,
    message_block_errors,
    view_errors,
)
from .slack_api_spec import SlackApiSpec

# (method, argument) -> the error Slack answers when that required argument is absent.
MISSING_ARGUMENT_ERRORS: dict[tuple[str, str], str] = {
    ("chat.postMessage", "channel"): "channel_not_found",
    ("chat.postEphemeral", "channel"): "channel_not_found",
    ("chat.update", "channel"): "channel_not_found",
    ("chat.update", "ts"): "message_not_found",
    ("chat.delete", "channel"): "channel_not_found",
    ("chat.delete", "ts"): "message_not_found",
}

# Arguments that must be strings even in a JSON body: IDs and timestamps lose meaning (or
# precision: 1503435956.000240 as a float) when sent as numbers.
STRING_ARGS = frozenset(
    {"channel", "channel_id", "user", "user_id", "ts", "thread_ts", "trigger_id", "text"}
)

# Errors whose answers carry details; Slack answers the others with the bare code.
DETAILED_ERRORS = frozenset({"invalid_arguments", "invalid_blocks"})

CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]+$")
USER_ID = re.compile(r"^[UW][A-Z0-9]+$")
TRIGGER_ID = re.compile(r"^\d+\.\d+\.[0-9a-f]+$")


class SlackError(Exception):
    """A refusal Slack would send: ``{"ok": false, "error": code, ...}``.

    ``invalid`` says the caller sent something Slack would never accept (a bug to report);
    refusals that depend on workspace state, such as ``not_in_channel``, are not invalid.
    """

    def __init__(
        self,
        code: str,
        errors: list[str] | None = None,
        *,
        invalid: bool = True,
        status: int = 200,
    ) -> None:
        super().__init__(code)
        self.code = code
        self.errors = errors or []
        self.invalid = invalid
        self.status = status

    def body(self) -> dict[str, Any]:
        """Return the JSON body Slack sends for this refusal."""
        body: dict[str, Any] = {"ok": False, "error": self.code}
        if self.errors and self.code in DETAILED_ERRORS:
            if self.code == "invalid_blocks":
                body["errors"] = list(self.errors)
            body["response_metadata"] = {"messages": [f"[ERROR] {e}" for e in self.errors]}
        return body


@dataclass
class Channel:
    """A conversation the workspace knows, with the bot's membership in it."""

    id: str
    name: str
    is_private: bool = False
    is_member: bool = True
    is_archived: bool = False

    def as_json(self) -> dict[str, Any]:
        """Return the channel object conversations.info answers with."""
        return {
            "id": self.id,
            "name": self.name,
            "is_channel": not self.is_private and self.id.startswith("C"),
            "is_group": False,
            "is_im": self.id.startswith("D"),
            "is_private": self.is_private,
            "is_archived": self.is_archived,
            "is_member": self.is_member,
            "created": 1_600_000_000,
            "creator": "U0CREATOR",
        }


@dataclass
class User:
    """A workspace member; ``tz`` matters to anything that schedules per user."""

    id: str
    name: str
    real_name: str = ""
    tz: str = "America/Los_Angeles"
    tz_offset: int = -28800
    is_bot: bool = False

    def as_json(self, team_id: str) -> dict[str, Any]:
        """Return the user object users.info answers with."""
        real_name = self.real_name or self.name.title()
        return {
            "id": self.id,
            "team_id": team_id,
            "name": self.name,
            "real_name": real_name,
            "deleted": False,
            "is_bot": self.is_bot,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": self.tz_offset,
            "profile": {"real_name": real_name, "display_name": self.name},
        }


@dataclass
class UploadedFile:
    """A file announced by files.getUploadURLExternal; ``content`` arrives with the POST."""

    id: str
    filename: str
    length: int
    alt_txt: str | None = None
    content: bytes | None = None
    title: str | None = None
    channels: list[str] = field(default_factory=list)


@dataclass
class Identity:
    """Who the app is in the emulated workspace."""

    team_id: str = "T0COSTBOT"
    team_domain: str = "costbot-test"
    bot_user_id: str = "U0COSTBOT"
    bot_id: str = "B0COSTBOT"
    app_id: str = "A0COSTBOT"


class Workspace:
    """Hold the state a costbot test cares about: channels, users, messages, views, files.

    Unknown channel and user IDs are accepted as existing (with the bot a member) unless
    ``strict_channels`` is set, so tests only describe the conversations they care about.
    """

    def __init__(
        self, identity: Identity, clock: Callable[[], float], *, strict_channels: bool
    ) -> None:
        self.identity = identity
        self.clock = clock
        self.strict_channels = strict_channels
        self.channels: dict[str, Channel] = {}
        self.users: dict[str, User] = {}
        self.messages: dict[tuple[str, str], dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.open_views: list[dict[str, Any]] = []
        self.files: dict[str, UploadedFile] = {}
        self.used_triggers: set[str] = set()
        self._sequence = 0

    def exchange_trigger(self, trigger_id: object) -> None:
        """Accept a trigger_id once, as Slack does (``<digits>.<digits>.<hex>``, single use).

        Expiry (3 seconds after the interaction) is not modelled: tests do not wait.
        """
        if not isinstance(trigger_id, str) or not TRIGGER_ID.match(trigger_id):
            raise SlackError("invalid_trigger_id", [f"trigger_id {trigger_id!r} is malformed"])
        if trigger_id in self.used_triggers:
            raise SlackError("exchanged_trigger_id", ["trigger_id was already used"])
        self.used_triggers.add(trigger_id)

    def clear_activity(self) -> None:
        """Forget messages, views and files but keep the configured channels and users."""
        self.messages.clear()
        self.home_views.clear()
        self.open_views.clear()
        self.files.clear()

    def next_id(self, prefix: str) -> str:
        """Return a fresh Slack-looking ID such as ``F00000007``."""
        self._sequence += 1
        return f"{prefix}{self._sequence:08d}"

    def next_ts(self) -> str:
        """Return a unique message ``ts`` ("seconds.sequence") from the injected clock."""
        self._sequence += 1
        return f"{int(self.clock())}.{self._sequence:06d}"

    def channel(self, ref: str) -> Channel:
        """Resolve a channel ID or ``#name`` or raise ``channel_not_found``."""
        if not ref:
            raise SlackError("channel_not_found", ["channel is empty"])
        if ref in self.channels:
            return self.channels[ref]
        name = ref.removeprefix("#")
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        if self.strict_channels or not (CHANNEL_ID.match(ref) or USER_ID.match(ref)):
            raise SlackError("channel_not_found", [f"no channel {ref!r}"], invalid=False)
        channel = Channel(id=ref, name=ref.lower())
        self.channels[ref] = channel
        return channel

    def postable_channel(self, ref: str) -> Channel:
        """Resolve a channel the bot may post in, as chat.postMessage checks it."""
        channel = self.channel(ref)
        if channel.is_archived:
            raise SlackError("is_archived", invalid=False)
        if not channel.is_member:
            raise SlackError("not_in_channel", invalid=False)
        return channel

    def user(self, ref: str) -> User:
        """Resolve a user ID or raise ``user_not_found``."""
        if ref in self.users:
            return self.users[ref]
        if self.strict_channels or not USER_ID.match(ref):
            raise SlackError("user_not_found", [f"no user {ref!r}"], invalid=False)
        return User(id=ref, name=ref.lower())


def decode_json_arg(value: object) -> object:
    """Decode an argument slack_sdk may send as JSON text (form body) or as JSON (JSON body)."""
    if isinstance(value, str):
        return json.loads(value)
    return value


def message_content(
    args: Mapping[str, Any], *, max_blocks_chars: int = MESSAGE_BLOCKS_JSON_CHARS
) -> tuple[str | None, list[Any] | None]:
    """Validate the text/blocks of a message and return them decoded.

    Shared by chat.* methods and response_url posts, which obey the same rules.
    """
    text = args.get("text")
    if text is not None and not isinstance(text, str):
        raise SlackError("invalid_arguments", ["expected string [json-pointer:/text]"])
    blocks: list[Any] | None = None
    raw_blocks = args.get("blocks")
    if raw_blocks not in (None, ""):
        try:
            decoded = decode_json_arg(raw_blocks)
        except ValueError:
            raise SlackError("invalid_blocks_format", ["blocks is not valid JSON"]) from None
        if not isinstance(decoded, list):
            raise SlackError("invalid_blocks_format", ["blocks must be a JSON array"])
        blocks = decoded
    has_text = bool(text and text.strip()) or bool(args.get("markdown_text"))
    if not (has_text or blocks or args.get("attachments")):
        raise SlackError("no_text", ["one of text, blocks or attachments is required"])
    if text and len(text) > MESSAGE_TEXT_CHARS:
        raise SlackError("msg_too_long", [f"text has {len(text)} characters"])
    if blocks:
        errors = message_block_errors(blocks)
        if errors:
            raise SlackError("invalid_blocks", errors)
        size = blocks_json_size(blocks)
        if size > max_blocks_chars:
            raise SlackError(
                "msg_blocks_too_long",
                [f"blocks are {size} characters of JSON, above {max_blocks_chars} (bolt-js #2509)"],
            )
    return text, blocks


Method = Callable[[dict[str, Any]], dict[str, Any]]


class WebApi:
    """Validate and answer Web API calls against a ``Workspace``."""

    def __init__(
        self,
        spec: SlackApiSpec,
        workspace: Workspace,
        upload_url_for: Callable[[str], str],
        *,
        max_blocks_chars: int = MESSAGE_BLOCKS_JSON_CHARS,
    ) -> None:
        self.spec = spec
        self.workspace = workspace
        self.upload_url_for = upload_url_for
        self.max_blocks_chars = max_blocks_chars
        self.canned: dict[str, dict[str, Any]] = {}
        self.methods: dict[str, Method] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.update": self.chat_update,
            "chat.delete": self.chat_delete,
            "chat.getPermalink": self.chat_get_permalink,
            "views.publish": self.views_publish,
            "views.open": self.views_open,
            "views.update": self.views_update,
            "views.push": self.views_push,
            "conversations.info": self.conversations_info,
            "conversations.join": self.conversations_join,
            "users.info": self.users_info,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
        }

    # -- entry point -----------------------------------------------------------------

    def check_method(self, method: str) -> None:
        """Refuse methods that do not exist or that Slack has retired."""
        if not self.spec.knows(method):
            raise SlackError("unknown_method", [f"{method} is not a Slack Web API method"])
        if self.spec.is_retired(method):
            raise SlackError("method_deprecated", [f"{method} is retired"])

    def call(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """Validate ``args`` for ``method`` and return Slack's answer (raises SlackError)."""
        self.check_method(method)
        self._check_required(method, args)
        self._check_types(args)
        if method in self.canned:
            return {"ok": True, **self.canned[method]}
        handler = self.methods.get(method)
        if handler is None:
            raise SlackError(
                "not_implemented_in_emulator",
                [f"the emulator does not implement {method}: add it or use set_response()"],
            )
        return handler(args)

    def _check_required(self, method: str, args: Mapping[str, Any]) -> None:
        for name in self.spec.required_args(method):
            if args.get(name) is None:
                code = MISSING_ARGUMENT_ERRORS.get((method, name), "invalid_arguments")
                raise SlackError(code, [f"missing required field: {name}"])

    @staticmethod
    def _check_types(args: Mapping[str, Any]) -> None:
        for name in STRING_ARGS & args.keys():
            if args[name] is not None and not isinstance(args[name], str):
                kind = type(args[name]).__name__
                raise SlackError(
                    "invalid_arguments", [f"expected string, got {kind} [json-pointer:/{name}]"]
                )

    # -- methods ---------------------------------------------------------------------

    def auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        """Describe the bot, as Bolt asks at start-up."""
        me = self.workspace.identity
        return {
            "ok": True,
            "url": f"https://{me.team_domain}.slack.com/",
            "team": me.team_domain,
            "user": "costbot",
            "team_id": me.team_id,
            "user_id": me.bot_user_id,
            "bot_id": me.bot_id,
            "is_enterprise_install": False,
        }

    def _message(
        self, channel: str, ts: str, text: str | None, blocks: list[Any] | None
    ) -> dict[str, Any]:
        me = self.workspace.identity
        message: dict[str, Any] = {
            "type": "message",
            "subtype": "bot_message",
            "user": me.bot_user_id,
            "bot_id": me.bot_id,
            "app_id": me.app_id,
            "team": me.team_id,
            "ts": ts,
            "text": text or "",
        }
        if blocks:
            message["blocks"] = blocks
        return message

    def chat_post_message(self, args: dict[str, Any]) -> dict[str, Any]:
        """Post a message and remember it so chat.update / chat.delete can find it."""
        channel = self.workspace.postable_channel(args["channel"])
        text, blocks = message_content(args, max_blocks_chars=self.max_blocks_chars)
        ts = self.workspace.next_ts()
        message = self._message(channel.id, ts, text, blocks)
        if args.get("thread_ts"):
            message["thread_ts"] = args["thread_ts"]
        self.workspace.messages[(channel.id, ts)] = message
        return {"ok": True, "channel": channel.id, "ts": ts, "message": message}

    def chat_post_ephemeral(self, args: dict[str, Any]) -> dict[str, Any]:
        """Accept an ephemeral message; only its ``message_ts`` comes back."""
        self.workspace.postable_channel(args["channel"])
        message_content(args, max_blocks_chars=self.max_blocks_chars)
        return {"ok": True, "message_ts": self.workspace.next_ts()}

    def chat_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """Replace a message's text/blocks (unknown ts are accepted: buttons carry made-up ts)."""
        channel = self.workspace.channel(args["channel"])
        ts = args["ts"]
        if not ts:
            raise SlackError("message_not_found", ["ts is empty"])
        text, blocks = message_content(args, max_blocks_chars=self.max_blocks_chars)
        message = self._message(channel.id, ts, text, blocks)
        self.workspace.messages[(channel.id, ts)] = message
        return {"ok": True, "channel": channel.id, "ts": ts, "text": text or "", "message": message}

    def chat_delete(self, args: dict[str, Any]) -> dict[str, Any]:
        """Forget a message."""
        channel = self.workspace.channel(args["channel"])
        if not args["ts"]:
            raise SlackError("message_not_found", ["ts is empty"])
        self.workspace.messages.pop((channel.id, args["ts"]), None)
        return {"ok": True, "channel": channel.id, "ts": args["ts"]}

    def _view(self, args: Mapping[str, Any], expected_types: tuple[str, ...]) -> dict[str, Any]:
        try:
            view = decode_json_arg(args["view"])
        except ValueError:
            raise SlackError(
                "invalid_arguments", ["view is not valid JSON [json-pointer:/view]"]
            ) from None
        errors = view_errors(view, expected_types)
        if errors:
            raise SlackError("invalid_arguments", errors)
        assert isinstance(view, dict)  # view_errors refuses anything else
        me = self.workspace.identity
        return {
            "id": self.workspace.next_id("V"),
            "team_id": me.team_id,
            "app_id": me.app_id,
            "bot_id": me.bot_id,
            "hash": f"{int(self.workspace.clock())}.{self.workspace.next_id('')}",
            "private_metadata": "",
            "callback_id": "",
            "external_id": "",
            "state": {"values": {}},
            **view,
        }

    def views_publish(self, args: dict[str, Any]) -> dict[str, Any]:
        """Publish a Home tab for a user; the last one published is kept per user."""
        self.workspace.user(args["user_id"])
        view = self._view(args, ("home",))
        self.workspace.home_views[args["user_id"]] = view
        return {"ok": True, "view": view}

    def views_open(self, args: dict[str, Any]) -> dict[str, Any]:
        """Open a modal for a trigger_id: well-formed, and each one exchanged only once."""
        view = self._view(args, ("modal",))
        self.workspace.exchange_trigger(args.get("trigger_id"))
        self.workspace.open_views.append(view)
        return {"ok": True, "view": view}

    def views_update(self, args: dict[str, Any]) -> dict[str, Any]:
        """Update a modal or Home tab named by ``view_id`` or ``external_id``."""
        if not (args.get("view_id") or args.get("external_id")):
            raise SlackError("invalid_arguments", ["view_id or external_id is required"])
        return {"ok": True, "view": self._view(args, ("modal", "home"))}

    def views_push(self, args: dict[str, Any]) -> dict[str, Any]:
        """Push a modal onto the stack."""
        view = self._view(args, ("modal",))
        self.workspace.open_views.append(view)
        return {"ok": True, "view": view}

    def chat_get_permalink(self, args: dict[str, Any]) -> dict[str, Any]:
        """Return a message's permalink (https://<domain>.slack.com/archives/<C>/p<ts digits>)."""
        channel = self.workspace.channel(args["channel"])
        ts = str(args["message_ts"])
        if not re.fullmatch(r"\d+\.\d+", ts):
            raise SlackError("message_not_found", [f"message_ts {ts!r} is not a message ts"])
        domain = self.workspace.identity.team_domain
        link = f"https://{domain}.slack.com/archives/{channel.id}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel.id, "permalink": link}

    def conversations_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """Describe a channel, including whether the bot is a member."""
        return {"ok": True, "channel": self.workspace.channel(args["channel"]).as_json()}

    def conversations_join(self, args: dict[str, Any]) -> dict[str, Any]:
        """Make the bot a member of a public channel."""
        channel = self.workspace.channel(args["channel"])
        if channel.is_archived:
            raise SlackError("is_archived", invalid=False)
        if channel.is_private:
            raise SlackError("method_not_supported_for_channel_type", invalid=False)
        answer: dict[str, Any] = {"ok": True}
        if channel.is_member:
            answer["warning"] = "already_in_channel"
            answer["response_metadata"] = {"warnings": ["already_in_channel"]}
        channel.is_member = True
        answer["channel"] = channel.as_json()
        return answer

    def users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        """Describe a user (time zone included)."""
        user = self.workspace.user(args["user"])
        return {"ok": True, "user": user.as_json(self.workspace.identity.team_id)}

    def files_get_upload_url_external(self, args: dict[str, Any]) -> dict[str, Any]:
        """Hand out an upload URL on this emulator; the bytes are POSTed there next."""
        filename = args["filename"]
        if not isinstance(filename, str) or not filename:
            raise SlackError("invalid_arguments", ["filename must be a non-empty string"])
        try:
            length = int(args["length"])
        except (TypeError, ValueError):
            raise SlackError("invalid_arguments", ["length must be an integer"]) from None
        if length <= 0:
            raise SlackError("invalid_arguments", ["length must be positive"])
        file_id = self.workspace.next_id("F")
        self.workspace.files[file_id] = UploadedFile(
            id=file_id, filename=filename, length=length, alt_txt=args.get("alt_txt")
        )
        return {"ok": True, "upload_url": self.upload_url_for(file_id), "file_id": file_id}

    def files_complete_upload_external(self, args: dict[str, Any]) -> dict[str, Any]:
        """Finish uploads whose bytes arrived, and share them to a channel if asked."""
        try:
            entries = decode_json_arg(args["files"])
        except ValueError:
            raise SlackError("invalid_arguments", ["files is not valid JSON"]) from None
        if not isinstance(entries, list) or not entries:
            raise SlackError("invalid_arguments", ["files must be a non-empty JSON array"])
        channels: list[str] = []
        if args.get("channel_id"):
            channels.append(self.workspace.postable_channel(args["channel_id"]).id)
        if args.get("channels"):
            for ref in str(args["channels"]).split(","):
                channels.append(self.workspace.postable_channel(ref.strip()).id)
        completed = []
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
                raise SlackError("invalid_arguments", ["each file needs an id"])
            upload = self.workspace.files.get(entry["id"])
            if upload is None or upload.content is None:
                raise SlackError("file_not_found", [f"{entry['id']} was not uploaded"])
            upload.title = entry.get("title") or upload.filename
            upload.channels = channels
            completed.append(
                {
                    "id": upload.id,
                    "name": upload.filename,
                    "title": upload.title,
                    "size": len(upload.content),
                    "channels": channels,
                }
            )
        return {"ok": True, "files": completed}
