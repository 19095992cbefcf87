"""Turning the checked YAML document into the frozen Config the engine runs.

- config.py: `compile_config`, the whole Config with its routing index;
- actions.py: the `do:` list of a rule or command;
- values.py: durations, limits, opening hours and other values a schema cannot fully check.
"""
