"""The engine runtime: executes routing Decisions through the ports, with a durable record.

- runtime.py: `Runtime` (handle, on_contact_event, accept_contact_event, tick, start/stop, swap);
- generation.py: `Generation` and `prepare` (everything built from one config);
- executor.py: a Decision's actions, in order; cases.py and conversations.py: what they change;
- turn.py: one unit of work in one transaction; outbox.py: delivery, retries, lane order.
"""

from engine.runtime.generation import Generation, build_generation, prepare
from engine.runtime.runtime import Runtime, utc_now

__all__ = ["Generation", "Runtime", "build_generation", "prepare", "utc_now"]
