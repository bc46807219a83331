"""``/cost …``: acknowledge at once, answer after (lazy), ephemeral unless shared."""

from __future__ import annotations

from typing import Any

from bot.blocks.ask_back import ask_back_blocks
from bot.blocks.cost_answer import cost_answer_blocks, cost_answer_text
from bot.blocks.help import help_blocks
from bot.blocks.mrkdwn import fit, one_line, section
from bot.costs.ask import ask
from bot.costs.grammar import AskBack, HelpRequest, QueryParseError, examples_for
from bot.costs.query import NoDataYet
from bot.services import Services
from handlers.economics_command import answer_economics
from handlers.errors import answers_on_failure
from handlers.gpus import gpu_command
from handlers.speak_first import route_subcommand
from handlers.tickets import answer_ticket_ref


def slack_unescape(text: str) -> str:
    """Undo the HTML escaping Slack applies to ``&``, ``<`` and ``>`` in command text."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def ack_cost_command(ack: Any) -> None:
    """Acknowledge within Slack's 3 seconds; the answer follows from the lazy listener."""
    ack()


@answers_on_failure("answering /cost")
def answer_cost_command(
    body: dict[str, Any], respond: Any, context: dict[str, Any], client: Any = None
) -> None:
    """Parse the text, ask the store, and reply with Block Kit."""
    services: Services = context["services"]
    text = slack_unescape(body.get("text") or "").strip()
    # `/cost subscribe|subscriptions|unsubscribe|budget|budgets …` (issue 12) come first.
    if route_subcommand(services, text, body, respond, client):
        return
    if gpu_command(services, text, respond):  # `/cost idle`, `/cost now [team X]` (issue 13)
        return
    # economics (issue 16): /cost chargeback | hints | unit, before the cost grammar
    if answer_economics(services, text, respond, body=body, client=context.get("client")):
        return
    answer_or_help(services, text, respond, user_id=body.get("user_id"))


def answer_or_help(
    services: Services,
    text: str,
    respond: Any,
    *,
    user_id: str | None,
    replace_original: bool = False,
) -> None:
    """Answer ``text`` for the user: help, "did you mean", or the answer (shared if asked)."""
    engine = services.engine
    try:
        answer = ask(engine, text, default_measure=services.settings.measure)
    except AskBack as exc:
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"Which do you mean? {exc.reason}",
            blocks=ask_back_blocks(exc.reason, exc.readings, question=text),
        )
        return
    except NoDataYet as exc:
        message = str(exc)
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=message,
            blocks=[section(f":hourglass_flowing_sand: {fit(one_line(message), 1500)}")],
        )
        return
    except QueryParseError as exc:
        vocab = engine.vocabulary()
        respond(
            response_type="ephemeral",
            replace_original=False,
            text=f"I could not read that: {exc}",
            blocks=help_blocks(
                sorted(vocab.tag_values),
                examples_for(vocab),
                error=exc.reason,
                suggestions=exc.suggestions,
            ),
        )
        return
    if isinstance(answer, HelpRequest):
        vocab = engine.vocabulary()
        respond(
            response_type="ephemeral",
            replace_original=False,
            text="How to ask /cost",
            blocks=help_blocks(sorted(vocab.tag_values), examples_for(vocab)),
        )
        return
    if answer.query.share:
        # A slash command's response_url may post in the channel even where the bot is not
        # a member, so `/cost … share` always works.
        respond(
            response_type="in_channel",
            replace_original=False,
            text=cost_answer_text(answer),
            blocks=cost_answer_blocks(
                answer,
                question=text,
                shared_by=user_id,
                show_buttons=False,
                default_measure=services.settings.measure,
                default_top=engine.default_top,
            ),
        )
        return
    respond(
        response_type="ephemeral",
        replace_original=replace_original,
        text=cost_answer_text(answer),
        blocks=cost_answer_blocks(
            answer,
            question=text,
            default_measure=services.settings.measure,
            default_top=engine.default_top,
            explicit_dimensions=engine.vocabulary().clashing_dimensions(),
            ticket_ref=answer_ticket_ref(services, answer),
        ),
    )
