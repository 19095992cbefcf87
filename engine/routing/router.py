"""Decide what to do with an Event: which rule or command applies, what it does, and why.

Pure: the answer depends only on (config, event, conversation state, now). Nothing here reads the
clock, a file or the network, so `flexcord route`, the tests and the runtime all get the same answer.
"""

from __future__ import annotations

from datetime import datetime

from engine.chatbot.buttons import clicked
from engine.config.model import DM, Config, ConversationState, OpenCase, Refuse, RelayToAgent, RunChatbot
from engine.events import Check, Decision, Event, RuleTrace
from engine.routing.conditions import Message, check_rule, holds_after_index, or_list, place, why_matched
from engine.routing.index import CompiledRule, RuleIndex

AGENT_BUTTON = "agent"
"""The id of the 'Talk to an agent' button: pressing it counts as typing its label."""

RELAY_STATES = ("queued", "agent")


def rule_index(config: Config) -> RuleIndex:
    """The config's index (built by compile); a hand-made Config without one gets a fresh one."""
    index = config.index
    return index if isinstance(index, RuleIndex) else RuleIndex(config.rules)


def route(
    config: Config, event: Event, state: ConversationState, now: datetime, *, explain: bool = False
) -> Decision:
    """The Decision for `event`.

    The trace holds the winning rule only (without its checks); with `explain` it lists every rule
    up to the winner, each with every check, which costs one look at each of those rules.
    """
    if event.kind == "command":
        return route_command(config, event)
    if event.kind == "form":
        return route_form(config, event)
    if event.kind == "button" and event.button != AGENT_BUTTON:
        return _button(config, event)
    index = rule_index(config)
    roles = frozenset(event.user.roles)
    message = Message(event.where, state, event.text, roles, now, config.hours, event.locale)
    winner = None
    for candidate in index.candidates(event.where, state, message.words):
        if holds_after_index(candidate, message):
            winner = candidate
            break
    earlier = None
    if explain:
        end = winner.position if winner else len(index.rules)
        earlier = tuple(check_rule(rule, message) for rule in index.rules[:end])
    return decide(config, message, winner, earlier)


def decide(
    config: Config, message: Message, winner: CompiledRule | None, earlier: tuple[RuleTrace, ...] | None
) -> Decision:
    """The Decision once the winning rule (or none) is known.

    `earlier` is None on the fast path, which traces the winner without its checks."""
    if winner is not None:
        rule = winner.rule
        if earlier is None:
            trace: tuple[RuleTrace, ...] = (RuleTrace(rule.name, True, (), winner.source),)
        else:
            trace = (*earlier, check_rule(winner, message))
        return Decision(
            rule=rule.name,
            actions=rule.actions,
            trace=trace,
            explanation=f"rule '{rule.name}' matched: {why_matched(winner, message)}",
            config_version=config.version,
        )
    if message.state in RELAY_STATES:
        return Decision(
            rule=None,
            actions=(RelayToAgent(),),
            trace=earlier or (),
            explanation=f"no rule matched; conversation is {message.state}, so the message goes to the agent",
            config_version=config.version,
        )
    return Decision(
        rule=None,
        actions=(),
        trace=earlier or (),
        explanation="no rule matched; nothing to do",
        config_version=config.version,
    )


def _button(config: Config, event: Event) -> Decision:
    chatbot = clicked(event)
    if chatbot is not None and chatbot[0] in config.chatbots:
        return Decision(
            rule=f"chatbot:{chatbot[0]}",
            actions=(RunChatbot(chatbot[0]),),
            explanation=f"a button of chatbot '{chatbot[0]}': its payload goes to it as the player's message",
            config_version=config.version,
        )
    return Decision(
        rule=None,
        actions=(),
        explanation=f"button '{event.button}' is handled by the conversation, not by rules",
        config_version=config.version,
    )


def route_form(config: Config, event: Event) -> Decision:
    """A submitted case form opens a case from its template; what the command that showed the form
    does after its `open_case` (`event.command`: a handoff, say) follows."""
    template = event.form or ""
    if template not in config.cases:
        return _refuse(config, f"form:{template}", "Unknown form", ())
    command = config.commands.get(event.command or "")
    actions = command.actions if command is not None else ()
    opens = next((i for i, a in enumerate(actions) if a == OpenCase(template)), len(actions))
    return Decision(
        rule=f"form:{template}",
        actions=(OpenCase(template), *actions[opens + 1 :]),
        explanation=f"form '{template}' submitted: open a {template} case",
        config_version=config.version,
    )


def _refuse(config: Config, rule: str | None, reason: str, checks: tuple[Check, ...]) -> Decision:
    trace = (RuleTrace(rule, False, checks),) if rule and checks else ()
    return Decision(
        rule=None,
        actions=(Refuse(reason),),
        trace=trace,
        explanation=f"refused: {reason}",
        config_version=config.version,
    )


def route_command(config: Config, event: Event) -> Decision:
    """A slash command runs its `do:` unless it is used in the wrong place or by the wrong person."""
    name = event.command or ""
    command = config.commands.get(name)
    if command is None:
        return _refuse(config, None, "Unknown command", ())
    label = f"/{name}"
    checks: list[Check] = []
    if event.where == DM:
        if not command.dm:
            checks.append(Check("channel", False, f"channel: {label} is not enabled in DMs"))
            return _refuse(config, label, f"{label} only works in the server.", tuple(checks))
        checks.append(Check("channel", True, "channel: allowed in a DM"))
    elif command.channels and event.where not in command.channels:
        places = [place(c) for c in command.channels] + (["in a DM with me"] if command.dm else [])
        reason = f"Use {label} in {or_list(places)}."
        checks.append(Check("channel", False, f"channel: needs {or_list(places)}, got {place(event.where)}"))
        return _refuse(config, label, reason, tuple(checks))
    else:
        checks.append(Check("channel", True, f"channel: allowed in {place(event.where)}"))
    if command.roles:
        have = sorted(set(command.roles) & set(event.user.roles))
        if not have:
            mine = ", ".join(event.user.roles) or "no role"
            checks.append(Check("roles", False, f"roles: needs {or_list(command.roles)}, user has {mine}"))
            return _refuse(config, label, f"Only {or_list(command.roles)} can use {label}.", tuple(checks))
        checks.append(Check("roles", True, f"roles: user has {have[0]}"))
    source = str(command.source) if command.source else None
    return Decision(
        rule=label,
        actions=command.actions,
        trace=(RuleTrace(label, True, tuple(checks), source),),
        explanation=f"command {label} allowed: " + "; ".join(c.detail for c in checks),
        config_version=config.version,
    )
