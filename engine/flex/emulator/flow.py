"""How the emulated Flex moves a task along: channel status, invites (transfers), leaving, wrap-up, end.

Flex reports these to three places, and so does the emulator:
- the conversation's scoped webhook (onParticipantRemoved, onConversationStateUpdated);
- the Interactions webhook (onParticipantLeft), configured per Flex instance;
- the TaskRouter event callback (reservation.accepted, reservation.wrapup, task.wrapup,
  task.completed, task.canceled), configured per workspace.
The workspace callback and the Interactions webhook are set in Twilio's console, not by
flexcord; the emulator sends them next to the conversation's webhook (same base URL,
/twilio/taskrouter and /twilio/interactions), which is where flexcord serves them.
"""

from __future__ import annotations

import json
from typing import Any

from engine.flex.emulator.state import Conversation, Task, new_sid
from engine.flex.emulator.world import Emulator, TwilioError

OPEN = ("pending", "assigned")
CONVERSATIONS_PATH = "/twilio/conversations"


def hooks_base(c: Conversation) -> str | None:
    """flexcord's base URL, from the conversation's scoped webhook (None: nobody to tell)."""
    for hook in c.webhooks.values():
        if hook.url and hook.url.endswith(CONVERSATIONS_PATH):
            return hook.url[: -len(CONVERSATIONS_PATH)]
    return None


def taskrouter_event(emulator: Emulator, task: Task, kind: str, **extra: str) -> None:
    """Send a TaskRouter event callback about `task` (form-encoded and signed, like Twilio's)."""
    c = emulator.state.conversations.get(task.conversation_sid)
    base = hooks_base(c) if c is not None else None
    if base is None:
        return
    params = {
        "AccountSid": emulator.account_sid,
        "WorkspaceSid": str(task.routing.get("workspace_sid", "")),
        "EventType": kind,
        "Sid": new_sid("EV"),
        "TaskSid": task.sid,
        "TaskAttributes": json.dumps(task.attributes),
        "TaskAssignmentStatus": task.status,
        "Timestamp": emulator.now(),
        **extra,
    }
    emulator.sender.enqueue(kind, task.conversation_sid, base + "/twilio/taskrouter", "post", params)


def interactions_event(emulator: Emulator, task: Task, kind: str, **extra: str) -> None:
    """Send an Interactions webhook event (onParticipantLeft, ...) about `task`'s channel."""
    c = emulator.state.conversations.get(task.conversation_sid)
    base = hooks_base(c) if c is not None else None
    if base is None:
        return
    params = {
        "AccountSid": emulator.account_sid,
        "EventType": kind,
        "InteractionSid": task.interaction_sid,
        "ChannelSid": task.channel_sid,
        "MediaChannelSid": task.conversation_sid,
        "MediaChannelType": "chat",
        "Timestamp": emulator.now(),
        **extra,
    }
    emulator.sender.enqueue(kind, task.conversation_sid, base + "/twilio/interactions", "post", params)


def settle_channel(emulator: Emulator, task: Task) -> None:
    """A channel in `setup` becomes `active`, or `failed` while failures are injected for new channels."""
    if task.channel_status != "setup":
        return
    if emulator.failing_channels > 0:
        emulator.failing_channels -= 1
        task.channel_status = "failed"
        task.status = "canceled"
    else:
        task.channel_status = "active"


def tasks_of(emulator: Emulator, interaction: str) -> list[Task]:
    return [t for t in emulator.state.tasks.values() if t.interaction_sid == interaction]


async def invite(emulator: Emulator, interaction: str, channel: str, routing: dict[str, Any]) -> Task:
    """An invite (a transfer, cold): a new task for the same channel; the agent who had it wraps up."""
    current = emulator.interaction(interaction, channel)
    if current.channel_status not in ("setup", "active"):
        raise TwilioError(400, 45351, f"The channel {channel} is {current.channel_status}")
    properties = routing.get("properties") or {}
    if not properties.get("workspace_sid") or not properties.get("workflow_sid"):
        raise TwilioError(400, 20001, "Routing properties need workspace_sid and workflow_sid")
    attributes = properties.get("attributes") or {}
    if isinstance(attributes, str):
        attributes = json.loads(attributes or "{}")
    task = Task(
        new_sid("WT"), interaction, channel, current.conversation_sid, dict(attributes), dict(properties)
    )
    task.channel_status = current.channel_status
    task.date_created = emulator.now()
    task.invite_sid = new_sid("KG")
    task.attributes |= {
        "conversationSid": current.conversation_sid,
        "flexInteractionSid": interaction,
        "flexInteractionChannelSid": channel,
    }
    for earlier in tasks_of(emulator, interaction):
        if earlier.status == "assigned":
            await leave(emulator, earlier)
            earlier.status = "wrapping"
        elif earlier.status == "pending":
            earlier.status = "canceled"
    emulator.state.tasks[task.sid] = task
    emulator.state.interactions[interaction] = task
    return task


async def leave(emulator: Emulator, task: Task) -> None:
    """The agent leaves the conversation: the participant webhook, the Interactions webhook, TaskRouter."""
    c = emulator.conversation(task.conversation_sid)
    p = c.participants.get(task.agent_participant or "")
    if p is None:
        raise TwilioError(409, 20409, f"Task {task.sid} has no agent in the conversation")
    task.agent_participant = None
    await emulator.remove_participant(c, p, source="SDK")
    interactions_event(emulator, task, "onParticipantLeft", ParticipantType="agent")
    taskrouter_event(emulator, task, "reservation.wrapup", WorkerName=task.agent or "Agent")


async def wrap_up(emulator: Emulator, task: Task) -> None:
    """The agent ends the chat as Flex UI does: the interaction channel closes, the task goes wrapping."""
    if task.status != "assigned":
        raise TwilioError(409, 20409, f"Task {task.sid} is {task.status}, not assigned")
    task.channel_status = "closed"
    task.status = "wrapping"
    c = emulator.conversation(task.conversation_sid)
    if c.state != "closed":
        await emulator.update_conversation(c, {"State": "closed"}, source="SDK", webhooks=True)
    taskrouter_event(emulator, task, "task.wrapup")


def complete(emulator: Emulator, task: Task) -> None:
    """The agent finishes wrap-up: the task is completed (and leaves the agent's list)."""
    if task.status != "wrapping":
        raise TwilioError(409, 20409, f"Task {task.sid} is {task.status}, not wrapping")
    task.status = "completed"
    taskrouter_event(emulator, task, "task.completed")


def time_out(emulator: Emulator, task: Task) -> None:
    """Nobody took the task before the workflow's timeout: TaskRouter cancels it."""
    if task.status != "pending":
        raise TwilioError(409, 20409, f"Task {task.sid} is {task.status}, not pending")
    task.status = "canceled"
    taskrouter_event(emulator, task, "workflow.timeout")
