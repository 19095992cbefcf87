"""Reading one YAML file into values that remember where they were written.

- nodes.py: Mark, MarkedDict, MarkedList (every key and value keeps `file:line:col`);
- read.py: one file read safely (size, UTF-8, tabs, aliases, depth), `${VAR}` filled in;
- plain.py: the one-pass reader for plain files (mappings, lists, untagged scalars);
- errors.py: YAML problems in plain words, at the line where they can be fixed.
"""
