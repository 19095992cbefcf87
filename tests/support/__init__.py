"""Test-only support: in-memory twins of the ports and a whole bot in a test (`memory_world`)."""
