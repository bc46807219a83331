"""An independent check of Slack's Block Kit limits, for any list of blocks.

The numbers are written out here rather than imported from
:mod:`bot.blocks.limits`, so a wrong constant there cannot make this check pass.
Lengths count UTF-16 code units, the stricter of the two ways Slack might count.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

KNOWN_BLOCKS = {"header", "section", "context", "actions", "divider", "image", "rich_text"}
_ENTITY_OR_MENTION = re.compile(r"&(amp|lt|gt);|<@[UW][A-Z0-9]+>")


def utf16_len(text: str) -> int:
    """Count UTF-16 code units (an emoji outside the BMP counts as two)."""
    return len(text.encode("utf-16-le")) // 2


def _text_object(obj: Any, where: str, limit: int, *, plain_only: bool = False) -> None:
    assert isinstance(obj, dict), f"{where}: text object expected, got {obj!r}"
    assert obj.get("type") in (("plain_text",) if plain_only else ("plain_text", "mrkdwn")), (
        f"{where}: bad text type {obj.get('type')!r}"
    )
    text = obj.get("text")
    assert isinstance(text, str), f"{where}: text must be a string"
    assert 1 <= utf16_len(text) <= limit, (
        f"{where}: text length {utf16_len(text)} not in 1..{limit}"
    )


def _element(el: dict[str, Any], where: str, action_ids: list[str]) -> None:
    if el.get("type") == "button":
        _text_object(el.get("text"), f"{where}.text", 75, plain_only=True)
        if "value" in el:
            value = el["value"]
            assert isinstance(value, str), f"{where}: value must be a string"
            assert utf16_len(value) <= 2000, f"{where}: value of {utf16_len(value)} > 2000"
        if "url" in el:
            assert utf16_len(el["url"]) <= 3000, f"{where}: url too long"
    if "action_id" in el:
        action_id = el["action_id"]
        assert 1 <= utf16_len(action_id) <= 255, f"{where}: action_id length"
        action_ids.append(action_id)


def assert_within_block_limits(
    blocks: list[dict[str, Any]],
    max_blocks: int = 50,
    *,
    max_total_text: int | None = 12_000,
) -> None:
    """Fail with a precise message if ``blocks`` break any Block Kit limit.

    Checks: block count; header text ≤ 150 (plain_text); section text ≤ 3000, at
    most 10 fields of ≤ 2000; context ≤ 10 elements, texts ≤ 3000; actions ≤ 25
    elements; button text ≤ 75, value ≤ 2000; action_id and block_id ≤ 255; action
    IDs unique within the message; every text non-empty. ``max_total_text`` bounds
    the texts of all blocks together (Slack's undocumented ``msg_blocks_too_long``,
    about 12,000 characters); pass None for views, which have no such limit known.
    """
    assert isinstance(blocks, list), "blocks must be a list"
    assert 1 <= len(blocks) <= max_blocks, f"{len(blocks)} blocks; the limit is {max_blocks}"
    action_ids: list[str] = []
    for i, block in enumerate(blocks):
        where = f"blocks[{i}]({block.get('type')})"
        kind = block.get("type")
        assert kind in KNOWN_BLOCKS, f"{where}: unknown block type"
        if "block_id" in block:
            assert 1 <= utf16_len(block["block_id"]) <= 255, f"{where}: block_id length"
        if kind == "header":
            _text_object(block.get("text"), f"{where}.text", 150, plain_only=True)
        elif kind == "section":
            fields = block.get("fields")
            assert "text" in block or fields, f"{where}: section needs text or fields"
            if "text" in block:
                _text_object(block["text"], f"{where}.text", 3000)
            if fields is not None:
                assert 1 <= len(fields) <= 10, f"{where}: {len(fields)} fields; the limit is 10"
                for j, f in enumerate(fields):
                    _text_object(f, f"{where}.fields[{j}]", 2000)
            if "accessory" in block:
                _element(block["accessory"], f"{where}.accessory", action_ids)
        elif kind == "context":
            elements = block.get("elements") or []
            assert 1 <= len(elements) <= 10, f"{where}: {len(elements)} elements; limit 10"
            for j, el in enumerate(elements):
                if el.get("type") in ("mrkdwn", "plain_text"):
                    _text_object(el, f"{where}.elements[{j}]", 3000)
        elif kind == "actions":
            elements = block.get("elements") or []
            assert 1 <= len(elements) <= 25, f"{where}: {len(elements)} elements; limit 25"
            for j, el in enumerate(elements):
                _element(el, f"{where}.elements[{j}]", action_ids)
    duplicates = {a for a in action_ids if action_ids.count(a) > 1}
    assert not duplicates, f"action_ids repeated in one message: {sorted(duplicates)}"
    if max_total_text is not None:
        total = sum(utf16_len(t) for t in texts(blocks))
        assert total <= max_total_text, f"{total} characters of text in all blocks"


def texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Yield every ``text`` string inside ``blocks`` (any depth)."""
    stack: list[Any] = list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "text" and isinstance(value, str):
                    yield value
                else:
                    stack.append(value)
        elif isinstance(node, list):
            stack.extend(node)


def mrkdwn_texts(blocks: list[dict[str, Any]]) -> Iterator[str]:
    """Yield the text of every mrkdwn text object inside ``blocks``."""
    stack: list[Any] = list(blocks)
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
                yield node["text"]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def assert_escaped(blocks: list[dict[str, Any]]) -> None:
    """Fail if a mrkdwn text holds a bare ``&``, ``<`` or ``>`` (not an entity or a mention)."""
    for text in mrkdwn_texts(blocks):
        rest = _ENTITY_OR_MENTION.sub("", text)
        for c in "&<>":
            assert c not in rest, f"unescaped {c!r} in mrkdwn: {text[:200]!r}"
