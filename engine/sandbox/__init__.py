"""`flexcord sandbox`: emulated Discord (SimCord), emulated Flex and a page to play the player and the agent.

- app: `Sandbox`, which starts the runtime, both emulators, the bot and the server in one process;
- guild: the emulated Discord server, its sample people and what they do;
- desk: the agent's side (Flex tasks and chats) and the case records;
- api: the page and its JSON API (the table of endpoints is in its docstring); static/: the page.
"""

from engine.sandbox.app import DEFAULT_DATA, Sandbox
from engine.sandbox.clock import SandboxClock, parse_moment

__all__ = ["DEFAULT_DATA", "Sandbox", "SandboxClock", "parse_moment"]
