"""The ordered schema migrations both stores apply (the SQL dialect notes are in engine.store.sql)."""

from __future__ import annotations

MIGRATIONS: tuple[tuple[int, tuple[str, ...]], ...] = (
    (
        1,
        (
            """CREATE TABLE conversations (
                id INTEGER PRIMARY KEY AUTOINCREMENT,  -- SQLite: identity column
                user_id TEXT NOT NULL UNIQUE,
                user_name TEXT NOT NULL,
                state TEXT NOT NULL,
                handoff TEXT,
                case_ref TEXT,
                queue TEXT,
                agent_name TEXT,
                awaiting_rating INTEGER NOT NULL DEFAULT 0,
                queued_at TEXT,
                timeout_notified INTEGER NOT NULL DEFAULT 0,
                updated_at TEXT NOT NULL
            )""",
            "CREATE INDEX conversations_handoff ON conversations (handoff)",
            "CREATE INDEX conversations_state ON conversations (state, queued_at)",
            """CREATE TABLE case_counters (
                prefix TEXT PRIMARY KEY,
                last_number INTEGER NOT NULL
            )""",
            """CREATE TABLE cases (
                ref TEXT PRIMARY KEY,
                template TEXT NOT NULL,
                prefix TEXT NOT NULL,
                number INTEGER NOT NULL,
                title TEXT NOT NULL,
                status TEXT NOT NULL,
                reporter_id TEXT NOT NULL,
                reporter_name TEXT NOT NULL,
                place TEXT NOT NULL,
                fields TEXT NOT NULL,
                conversation_id INTEGER REFERENCES conversations (id),
                rating INTEGER,
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL,
                UNIQUE (prefix, number)
            )""",
            "CREATE INDEX cases_status ON cases (status, template)",
            """CREATE TABLE case_events (
                id INTEGER PRIMARY KEY AUTOINCREMENT,  -- SQLite: identity column
                case_ref TEXT NOT NULL REFERENCES cases (ref),
                from_status TEXT,
                to_status TEXT NOT NULL,
                who TEXT NOT NULL,
                note TEXT,
                at TEXT NOT NULL
            )""",
            "CREATE INDEX case_events_case ON case_events (case_ref)",
            """CREATE TABLE messages (
                id INTEGER PRIMARY KEY AUTOINCREMENT,  -- SQLite: identity column
                conversation_id INTEGER REFERENCES conversations (id),
                case_ref TEXT REFERENCES cases (ref),
                direction TEXT NOT NULL,
                author TEXT NOT NULL,
                text TEXT NOT NULL,
                place TEXT NOT NULL,
                platform_id TEXT,
                at TEXT NOT NULL
            )""",
            "CREATE INDEX messages_conversation ON messages (conversation_id)",
            "CREATE INDEX messages_case ON messages (case_ref)",
            """CREATE TABLE processed_events (
                id TEXT PRIMARY KEY,
                at TEXT NOT NULL
            )""",
            "CREATE INDEX processed_events_at ON processed_events (at)",
            """CREATE TABLE outbox (
                id INTEGER PRIMARY KEY AUTOINCREMENT,  -- SQLite: identity column
                lane TEXT NOT NULL,
                kind TEXT NOT NULL,
                payload TEXT NOT NULL,
                status TEXT NOT NULL,
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at TEXT NOT NULL,
                last_error TEXT,
                idempotency_key TEXT NOT NULL UNIQUE,
                created_at TEXT NOT NULL,
                delivered_at TEXT,
                case_ref TEXT REFERENCES cases (ref),
                message_id INTEGER REFERENCES messages (id)
            )""",
            "CREATE INDEX outbox_pending ON outbox (status, lane, id)",
            "CREATE INDEX outbox_case ON outbox (case_ref)",
            """CREATE TABLE seen (
                namespace TEXT NOT NULL,
                key TEXT NOT NULL,
                at TEXT NOT NULL,
                PRIMARY KEY (namespace, key)
            )""",
            """CREATE TABLE settings (
                key TEXT PRIMARY KEY,
                value TEXT NOT NULL
            )""",
        ),
    ),
    (
        2,
        (  # the column holds the contact center's conversation sid; pending deliveries carry what they need
            "ALTER TABLE conversations RENAME COLUMN handoff TO conversation_sid",
            # SQLite: json_set/json_extract (PostgreSQL: jsonb_set and ->>, in POSTGRES_STATEMENTS)
            """UPDATE outbox SET payload = json_set(payload, '$.conversation_sid',
                (SELECT c.conversation_sid FROM conversations c
                 WHERE c.user_id = json_extract(outbox.payload, '$.user_id')))
               WHERE kind = 'send' AND status = 'pending'""",
            """UPDATE outbox SET payload = json_set(payload,
                '$.user_id', (SELECT c.user_id FROM conversations c
                              WHERE c.id = json_extract(outbox.payload, '$.conversation_id')),
                '$.user_name', (SELECT c.user_name FROM conversations c
                                WHERE c.id = json_extract(outbox.payload, '$.conversation_id')))
               WHERE kind = 'start_handoff' AND status = 'pending'""",
        ),
    ),
    (3, ("CREATE INDEX cases_updated ON cases (updated_at, ref)",)),  # a page of `cases list`
    (
        4,
        (  # several replicas: an outbox item is leased to the replica delivering it; each replica says
            # which rules it runs; cooldowns and message limits are shared
            "ALTER TABLE outbox ADD COLUMN claimed_by TEXT",
            "ALTER TABLE outbox ADD COLUMN claimed_until TEXT",
            """CREATE TABLE replicas (
                name TEXT PRIMARY KEY,
                config_version TEXT NOT NULL,
                started_at TEXT NOT NULL,
                seen_at TEXT NOT NULL
            )""",
            """CREATE TABLE limit_uses (
                key TEXT NOT NULL,
                at TEXT NOT NULL,
                once TEXT NOT NULL
            )""",
            "CREATE INDEX limit_uses_key ON limit_uses (key, at)",
            """CREATE TABLE leases (
                name TEXT PRIMARY KEY,
                holder TEXT NOT NULL,
                held_until TEXT NOT NULL
            )""",
        ),
    ),
    (
        5,
        (  # what the FAQ bot was asked and how it ended, for `flexcord kb gaps` and the reports
            """CREATE TABLE faq_questions (
                id INTEGER PRIMARY KEY AUTOINCREMENT,  -- SQLite: identity column
                user_id TEXT NOT NULL,
                text TEXT NOT NULL,
                language TEXT,
                outcome TEXT NOT NULL,
                at TEXT NOT NULL
            )""",
            "CREATE INDEX faq_questions_user ON faq_questions (user_id, id)",
            "CREATE INDEX faq_questions_at ON faq_questions (at)",
        ),
    ),
    (
        6,
        (  # files players and agents sent, kept in the database every replica reads (BLOB; PostgreSQL: BYTEA)
            """CREATE TABLE attachments (
                id INTEGER PRIMARY KEY AUTOINCREMENT,  -- SQLite: identity column
                case_ref TEXT REFERENCES cases (ref),
                user_id TEXT NOT NULL,
                who TEXT NOT NULL,
                name TEXT NOT NULL,
                content_type TEXT NOT NULL,
                size INTEGER NOT NULL,
                data BLOB NOT NULL,
                at TEXT NOT NULL
            )""",
            "CREATE INDEX attachments_case ON attachments (case_ref)",
            "CREATE INDEX attachments_user ON attachments (user_id)",
        ),
    ),
    (7, ("CREATE INDEX cases_reporter ON cases (reporter_id, updated_at)",)),  # a player's cases: /mycases
)
"""(version, statements) in order; a store applies those above its recorded version, once."""
