"""Check Block Kit payloads against Slack's documented limits, the way Slack's servers do.

Slack rejects a message whose blocks break a limit with ``invalid_blocks`` and a list of
messages such as ``must be less than 3001 characters [json-pointer:/blocks/0/text/text]``.
A bot that only ever talks to a mock never finds out; the emulator runs these checks on
every message, view and ``response_url`` payload so that a test fails the way Slack would.

Every number below cites the Slack reference page it comes from (docs.slack.dev, 2025):

- blocks per surface: "You can include up to 50 blocks in each message, and 100 blocks in
  modals or Home tabs." (reference/block-kit/blocks)
- section: text 1..3000 chars, fields <= 10 items of <= 2000 chars, block_id <= 255
  (reference/block-kit/blocks/section-block)
- header: plain_text only, <= 150 chars (reference/block-kit/blocks/header-block)
- context: <= 10 elements (reference/block-kit/blocks/context-block)
- actions: <= 25 elements (reference/block-kit/blocks/actions-block; python-slack-sdk #1253
  raised its client-side check from 5 to 25 to match)
- image: alt_text <= 2000, image_url <= 3000, title <= 2000 (reference/block-kit/blocks/image-block)
- markdown: cumulative text of all markdown blocks in one payload <= 12000
  (reference/block-kit/blocks/markdown-block)
- button: text <= 75, action_id <= 255, value <= 2000, url <= 3000, accessibility_label <= 75,
  style primary|danger (reference/block-kit/block-elements/button-element)
- option object: text <= 75, value <= 150, description <= 75; overflow menu <= 5 options;
  select placeholder <= 150, options <= 100 (reference/block-kit/composition-objects)
- confirmation dialog: title <= 100, text <= 300, confirm/deny <= 30
  (reference/block-kit/composition-objects/confirmation-dialog-object)
- input: label <= 2000, hint <= 2000 (reference/block-kit/blocks/input-block)
- modal view: title/close/submit <= 24, private_metadata <= 3000, callback_id <= 255,
  external_id <= 255, submit required with input blocks (reference/views/modal-views)
- whole message: Slack answers ``msg_blocks_too_long`` well below the documented limits
  (bolt-js issue 2509: markdown-only messages failed above 13,297 characters of text, and a
  single added divider lowered that to 13,172). Slack does not document the rule, so the
  emulator measures the compact JSON of the blocks array and refuses more than
  ``MESSAGE_BLOCKS_JSON_CHARS`` (13,200), a little under the reported failures.

Two checks are stricter than Slack's documentation says: block_ids must be unique within a
payload and action_ids unique within their block (Slack says "should be unique"; duplicates
make interaction payloads ambiguous, which is a bug in a bot either way).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

MAX_BLOCKS = {"message": 50, "modal": 100, "home": 100}
MESSAGE_BLOCKS_JSON_CHARS = 13_200
MESSAGE_TEXT_CHARS = 40_000  # chat.postMessage: "truncate messages containing more than 40,000"

SECTION_TEXT = 3000
SECTION_FIELDS = 10
SECTION_FIELD_TEXT = 2000
HEADER_TEXT = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BLOCK_ID = 255
ACTION_ID = 255
BUTTON_TEXT = 75
BUTTON_VALUE = 2000
URL = 3000
ACCESSIBILITY_LABEL = 75
IMAGE_ALT_TEXT = 2000
IMAGE_TITLE = 2000
MARKDOWN_TOTAL = 12_000
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTION_DESCRIPTION = 75
OVERFLOW_OPTIONS = 5
SELECT_OPTIONS = 100
PLACEHOLDER = 150
CONFIRM_TITLE = 100
CONFIRM_TEXT = 300
CONFIRM_BUTTON = 30
INPUT_LABEL = 2000
INPUT_HINT = 2000
VIEW_TITLE = 24
VIEW_BUTTON = 24
PRIVATE_METADATA = 3000
CALLBACK_ID = 255
EXTERNAL_ID = 255

KNOWN_BLOCK_TYPES = frozenset(
    {
        "actions",
        "context",
        "context_actions",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "table",
        "video",
    }
)
SELECT_TYPES = frozenset(
    {
        "static_select",
        "external_select",
        "users_select",
        "conversations_select",
        "channels_select",
        "multi_static_select",
        "multi_external_select",
        "multi_users_select",
        "multi_conversations_select",
        "multi_channels_select",
    }
)
INTERACTIVE_TYPES = SELECT_TYPES | {
    "button",
    "overflow",
    "datepicker",
    "datetimepicker",
    "timepicker",
    "checkboxes",
    "radio_buttons",
    "plain_text_input",
    "email_text_input",
    "url_text_input",
    "number_input",
    "rich_text_input",
    "file_input",
    "workflow_button",
}
TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})


def _too_long(limit: int, pointer: str) -> str:
    """Phrase a length error the way Slack's validator does."""
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _too_many(limit: int, pointer: str) -> str:
    """Phrase a count error the way Slack's validator does."""
    return f"no more than {limit} items allowed [json-pointer:{pointer}]"


class BlockKitValidator:
    """Collect every Block Kit violation in one payload, each with a JSON pointer.

    One instance checks one payload, because two rules span the whole payload: block_ids
    must be unique and markdown blocks share a 12,000-character budget.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self._block_ids: set[str] = set()
        self._markdown_chars = 0

    # -- payload level ---------------------------------------------------------------

    def check_blocks(self, blocks: object, surface: Surface, pointer: str = "/blocks") -> None:
        """Check a blocks array for ``surface`` (message, modal or home tab)."""
        if not isinstance(blocks, list):
            self.errors.append(f"expected array [json-pointer:{pointer}]")
            return
        if len(blocks) > MAX_BLOCKS[surface]:
            self.errors.append(_too_many(MAX_BLOCKS[surface], pointer))
        for index, block in enumerate(blocks):
            self._check_block(block, f"{pointer}/{index}")
        if self._markdown_chars > MARKDOWN_TOTAL:
            self.errors.append(
                f"markdown blocks exceed {MARKDOWN_TOTAL} characters in total "
                f"[json-pointer:{pointer}]"
            )

    def check_view(self, view: object, expected_types: Iterable[str]) -> None:
        """Check a view object (modal or home tab) including its blocks."""
        expected = tuple(expected_types)
        if not isinstance(view, dict):
            self.errors.append("expected object [json-pointer:/view]")
            return
        view_type = view.get("type")
        if view_type not in expected:
            self.errors.append(
                f"type must be one of {', '.join(expected)}, got {view_type!r} "
                "[json-pointer:/view/type]"
            )
            return
        if "blocks" not in view:
            self.errors.append("missing required field: blocks [json-pointer:/view]")
        else:
            surface: Surface = "home" if view_type == "home" else "modal"
            self.check_blocks(view["blocks"], surface, "/view/blocks")
        if view_type == "modal":
            if "title" not in view:
                self.errors.append("missing required field: title [json-pointer:/view]")
            else:
                self._check_text(view["title"], VIEW_TITLE, "/view/title", plain_only=True)
            for name in ("close", "submit"):
                if name in view:
                    self._check_text(view[name], VIEW_BUTTON, f"/view/{name}", plain_only=True)
            has_input = any(
                isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or []
            )
            if has_input and "submit" not in view:
                self.errors.append(
                    "submit is required when the view has input blocks [json-pointer:/view]"
                )
        self._check_str(view.get("private_metadata"), PRIVATE_METADATA, "/view/private_metadata")
        self._check_str(view.get("callback_id"), CALLBACK_ID, "/view/callback_id")
        self._check_str(view.get("external_id"), EXTERNAL_ID, "/view/external_id")

    # -- blocks ----------------------------------------------------------------------

    def _check_block(self, block: object, pointer: str) -> None:
        if not isinstance(block, dict):
            self.errors.append(f"expected object [json-pointer:{pointer}]")
            return
        block_type = block.get("type")
        if block_type not in KNOWN_BLOCK_TYPES:
            self.errors.append(f"unsupported type: {block_type!r} [json-pointer:{pointer}/type]")
            return
        block_id = block.get("block_id")
        if block_id is not None:
            if not isinstance(block_id, str) or not block_id:
                self.errors.append(f"must be a non-empty string [json-pointer:{pointer}/block_id]")
            elif len(block_id) > BLOCK_ID:
                self.errors.append(_too_long(BLOCK_ID, f"{pointer}/block_id"))
            elif block_id in self._block_ids:
                self.errors.append(f"duplicate block_id {block_id!r} [json-pointer:{pointer}]")
            else:
                self._block_ids.add(block_id)
        checker = getattr(self, f"_check_{block_type}_block", None)
        if checker is not None:
            checker(block, pointer)

    def _check_section_block(self, block: dict[str, Any], pointer: str) -> None:
        if "text" not in block and "fields" not in block:
            self.errors.append(f"section needs text or fields [json-pointer:{pointer}]")
        if "text" in block:
            self._check_text(block["text"], SECTION_TEXT, f"{pointer}/text")
        if "fields" in block:
            fields = block["fields"]
            if not isinstance(fields, list) or not fields:
                self.errors.append(f"expected non-empty array [json-pointer:{pointer}/fields]")
            else:
                if len(fields) > SECTION_FIELDS:
                    self.errors.append(_too_many(SECTION_FIELDS, f"{pointer}/fields"))
                for i, field in enumerate(fields):
                    self._check_text(field, SECTION_FIELD_TEXT, f"{pointer}/fields/{i}")
        if "accessory" in block:
            self._check_element(block["accessory"], f"{pointer}/accessory", set())

    def _check_header_block(self, block: dict[str, Any], pointer: str) -> None:
        if "text" not in block:
            self.errors.append(f"missing required field: text [json-pointer:{pointer}]")
            return
        self._check_text(block["text"], HEADER_TEXT, f"{pointer}/text", plain_only=True)

    def _check_context_block(self, block: dict[str, Any], pointer: str) -> None:
        elements = self._elements(block, pointer, CONTEXT_ELEMENTS)
        for i, element in enumerate(elements):
            sub = f"{pointer}/elements/{i}"
            if isinstance(element, dict) and element.get("type") == "image":
                self._check_image_element(element, sub)
            else:
                self._check_text(element, None, sub)

    def _check_actions_block(self, block: dict[str, Any], pointer: str) -> None:
        action_ids: set[str] = set()
        for i, element in enumerate(self._elements(block, pointer, ACTIONS_ELEMENTS)):
            self._check_element(element, f"{pointer}/elements/{i}", action_ids)

    def _check_image_block(self, block: dict[str, Any], pointer: str) -> None:
        self._check_image_element(block, pointer)
        if "title" in block:
            self._check_text(block["title"], IMAGE_TITLE, f"{pointer}/title", plain_only=True)

    def _check_markdown_block(self, block: dict[str, Any], pointer: str) -> None:
        text = block.get("text")
        if not isinstance(text, str) or not text:
            self.errors.append(f"must be a non-empty string [json-pointer:{pointer}/text]")
            return
        self._markdown_chars += len(text)

    def _check_input_block(self, block: dict[str, Any], pointer: str) -> None:
        if "label" not in block:
            self.errors.append(f"missing required field: label [json-pointer:{pointer}]")
        else:
            self._check_text(block["label"], INPUT_LABEL, f"{pointer}/label", plain_only=True)
        if "hint" in block:
            self._check_text(block["hint"], INPUT_HINT, f"{pointer}/hint", plain_only=True)
        if "element" not in block:
            self.errors.append(f"missing required field: element [json-pointer:{pointer}]")
        else:
            self._check_element(block["element"], f"{pointer}/element", set())

    def _check_rich_text_block(self, block: dict[str, Any], pointer: str) -> None:
        if not isinstance(block.get("elements"), list):
            self.errors.append(f"expected array [json-pointer:{pointer}/elements]")

    # -- elements and composition objects ---------------------------------------------

    def _elements(self, block: dict[str, Any], pointer: str, limit: int) -> Sequence[object]:
        elements = block.get("elements")
        if not isinstance(elements, list) or not elements:
            self.errors.append(f"expected non-empty array [json-pointer:{pointer}/elements]")
            return []
        if len(elements) > limit:
            self.errors.append(_too_many(limit, f"{pointer}/elements"))
        return elements

    def _check_element(self, element: object, pointer: str, action_ids: set[str]) -> None:
        if not isinstance(element, dict):
            self.errors.append(f"expected object [json-pointer:{pointer}]")
            return
        element_type = element.get("type")
        if element_type == "image":
            self._check_image_element(element, pointer)
            return
        if element_type not in INTERACTIVE_TYPES:
            self.errors.append(
                f"unsupported element type: {element_type!r} [json-pointer:{pointer}/type]"
            )
            return
        action_id = element.get("action_id")
        if action_id is not None:
            if not isinstance(action_id, str) or not action_id:
                self.errors.append(f"must be a non-empty string [json-pointer:{pointer}/action_id]")
            elif len(action_id) > ACTION_ID:
                self.errors.append(_too_long(ACTION_ID, f"{pointer}/action_id"))
            elif action_id in action_ids:
                self.errors.append(f"duplicate action_id {action_id!r} [json-pointer:{pointer}]")
            else:
                action_ids.add(action_id)
        if "confirm" in element:
            self._check_confirm(element["confirm"], f"{pointer}/confirm")
        if element_type == "button":
            self._check_button(element, pointer)
        elif element_type == "overflow":
            self._check_options(element.get("options"), OVERFLOW_OPTIONS, f"{pointer}/options")
        elif element_type in SELECT_TYPES:
            if "placeholder" in element:
                self._check_text(
                    element["placeholder"], PLACEHOLDER, f"{pointer}/placeholder", plain_only=True
                )
            if "options" in element:
                self._check_options(element["options"], SELECT_OPTIONS, f"{pointer}/options")

    def _check_button(self, button: dict[str, Any], pointer: str) -> None:
        if "text" not in button:
            self.errors.append(f"missing required field: text [json-pointer:{pointer}]")
        else:
            self._check_text(button["text"], BUTTON_TEXT, f"{pointer}/text", plain_only=True)
        self._check_str(button.get("value"), BUTTON_VALUE, f"{pointer}/value")
        self._check_str(button.get("url"), URL, f"{pointer}/url")
        label = button.get("accessibility_label")
        self._check_str(label, ACCESSIBILITY_LABEL, f"{pointer}/accessibility_label")
        style = button.get("style")
        if style is not None and style not in ("primary", "danger"):
            self.errors.append(f"must be primary or danger [json-pointer:{pointer}/style]")

    def _check_options(self, options: object, limit: int, pointer: str) -> None:
        if not isinstance(options, list) or not options:
            self.errors.append(f"expected non-empty array [json-pointer:{pointer}]")
            return
        if len(options) > limit:
            self.errors.append(_too_many(limit, pointer))
        for i, option in enumerate(options):
            sub = f"{pointer}/{i}"
            if not isinstance(option, dict):
                self.errors.append(f"expected object [json-pointer:{sub}]")
                continue
            self._check_text(option.get("text"), OPTION_TEXT, f"{sub}/text")
            self._check_str(option.get("value"), OPTION_VALUE, f"{sub}/value")
            if "description" in option:
                self._check_text(option["description"], OPTION_DESCRIPTION, f"{sub}/description")

    def _check_confirm(self, confirm: object, pointer: str) -> None:
        if not isinstance(confirm, dict):
            self.errors.append(f"expected object [json-pointer:{pointer}]")
            return
        limits = {"title": CONFIRM_TITLE, "text": CONFIRM_TEXT}
        limits |= {"confirm": CONFIRM_BUTTON, "deny": CONFIRM_BUTTON}
        for name, limit in limits.items():
            if name in confirm:
                self._check_text(confirm[name], limit, f"{pointer}/{name}")

    def _check_image_element(self, image: dict[str, Any], pointer: str) -> None:
        alt_text = image.get("alt_text")
        if not isinstance(alt_text, str) or not alt_text:
            self.errors.append(f"must be a non-empty string [json-pointer:{pointer}/alt_text]")
        else:
            self._check_str(alt_text, IMAGE_ALT_TEXT, f"{pointer}/alt_text")
        if "image_url" not in image and "slack_file" not in image:
            self.errors.append(f"image_url or slack_file is required [json-pointer:{pointer}]")
        self._check_str(image.get("image_url"), URL, f"{pointer}/image_url")

    def _check_text(
        self, text: object, limit: int | None, pointer: str, *, plain_only: bool = False
    ) -> None:
        """Check a text composition object: a type, a non-empty string, a length limit."""
        if not isinstance(text, dict):
            self.errors.append(f"expected text object [json-pointer:{pointer}]")
            return
        allowed = {"plain_text"} if plain_only else TEXT_TYPES
        if text.get("type") not in allowed:
            self.errors.append(
                f"type must be {' or '.join(sorted(allowed))} [json-pointer:{pointer}/type]"
            )
        value = text.get("text")
        if not isinstance(value, str) or not value:
            self.errors.append(f"must be more than 0 characters [json-pointer:{pointer}/text]")
        elif limit is not None and len(value) > limit:
            self.errors.append(_too_long(limit, f"{pointer}/text"))

    def _check_str(self, value: object, limit: int, pointer: str) -> None:
        """Check an optional plain string field."""
        if value is None:
            return
        if not isinstance(value, str):
            self.errors.append(f"expected string [json-pointer:{pointer}]")
        elif len(value) > limit:
            self.errors.append(_too_long(limit, pointer))


def blocks_json_size(blocks: object) -> int:
    """Return the length of the compact JSON of ``blocks``, the size that bolt-js #2509 hit."""
    return len(json.dumps(blocks, separators=(",", ":"), ensure_ascii=False))


def message_block_errors(blocks: object) -> list[str]:
    """Return every violation in a message's blocks array (empty when valid)."""
    validator = BlockKitValidator()
    validator.check_blocks(blocks, "message")
    return validator.errors


def view_errors(view: object, expected_types: Iterable[str]) -> list[str]:
    """Return every violation in a view object (empty when valid)."""
    validator = BlockKitValidator()
    validator.check_view(view, expected_types)
    return validator.errors
