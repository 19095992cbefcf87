"""The JSON Schemas of flexcord's YAML files, and their errors in plain words.

- definitions.py: building blocks (names, durations, texts, actions) and the words for each pattern;
- settings.py: the operator's settings, only in flexcord.yaml (discord, flex, server, hours, ...);
- routes.py: the route sections community managers edit (rules, commands, channels, ...);
- documents.py: the schemas of flexcord.yaml and of a route file, the validators, `flexcord schema --write`;
- explain.py: `validate_file`, each schema problem as a Diagnostic at the line to fix;
- places.py: where a problem is and what was written there, in words;
- threads.py: where conversations and reports live: case threads, forum channels, status tags;
- environment.py: settings that take a number, written `${VARIABLE}`: which, and their editor form;
- reference.py: docs/CONFIG.md, written from the schema's titles and descriptions.
"""
