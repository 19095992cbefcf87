"""The agent's side of flexcord: the case page Flex's CRM panel shows next to the chat.

- links: signed, expiring case links (`case_url` in the task attributes); pure
- page: what the case page shows, as HTML; pure
- blueprint: the Quart blueprint serving /agent/cases/<ref>
"""
