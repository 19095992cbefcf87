"""Every SQL statement the store runs (the schema migrations, in engine.store.migrations, too).

The SQL is portable (SQLite 3.35+ and PostgreSQL) except for these, each marked `SQLite:` where it is
written (here and in engine.store.migrations):
- `INTEGER PRIMARY KEY AUTOINCREMENT` (PostgreSQL: `BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY`);
- `?` placeholders (PostgreSQL drivers use `%s` or `$1`; a backend rewrites them);
- `BEGIN IMMEDIATE` to take the write lock up front (PostgreSQL: `BEGIN`).
Timestamps are fixed-width UTC ISO 8601 text, booleans are 0/1 integers, JSON is text.
"""

from __future__ import annotations

from engine.store.migrations import MIGRATIONS

SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table'"  # SQLite: its catalogue
POSTGRES_TABLES = (
    "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
)

POSTGRES_STATEMENTS = {  # the SQLite-only statements (migrations, the catalogue), as PostgreSQL says them
    SQLITE_TABLES: POSTGRES_TABLES,
    MIGRATIONS[1][1][1]: """UPDATE outbox SET payload = jsonb_set(payload::jsonb, '{conversation_sid}',
        COALESCE(to_jsonb((SELECT c.conversation_sid FROM conversations c
                           WHERE c.user_id = outbox.payload::jsonb->>'user_id')), 'null'::jsonb))::text
        WHERE kind = 'send' AND status = 'pending'""",
    MIGRATIONS[1][1][2]: """UPDATE outbox SET payload = jsonb_set(jsonb_set(payload::jsonb, '{user_id}',
        COALESCE(to_jsonb((SELECT c.user_id FROM conversations c
            WHERE c.id = (outbox.payload::jsonb->>'conversation_id')::integer)), 'null'::jsonb)),
        '{user_name}', COALESCE(to_jsonb((SELECT c.user_name FROM conversations c
            WHERE c.id = (outbox.payload::jsonb->>'conversation_id')::integer)), 'null'::jsonb))::text
        WHERE kind = 'start_handoff' AND status = 'pending'""",
}

CREATE_SCHEMA_VERSION = "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)"
SCHEMA_VERSION = "SELECT MAX(version) AS version FROM schema_version"
RECORD_VERSION = "INSERT INTO schema_version (version) VALUES (?)"

COUNT_CASES = "SELECT COUNT(*) AS n FROM cases"

BEGIN_WRITE = "BEGIN IMMEDIATE"  # SQLite: take the write lock at the start
COMMIT = "COMMIT"
ROLLBACK = "ROLLBACK"

# --- processed events, seen keys, settings -------------------------------------------------

MARK_PROCESSED = "INSERT INTO processed_events (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING"
IS_PROCESSED = "SELECT 1 FROM processed_events WHERE id = ?"
FORGET_PROCESSED = "DELETE FROM processed_events WHERE at < ?"
MARK_SEEN = "INSERT INTO seen (namespace, key, at) VALUES (?, ?, ?) ON CONFLICT (namespace, key) DO NOTHING"
GET_SETTING = "SELECT value FROM settings WHERE key = ?"
PUT_SETTING = (
    "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
)
FORGET_SETTING = "DELETE FROM settings WHERE key = ?"

# --- cases -----------------------------------------------------------------------------------

NEXT_CASE_NUMBER = (
    "INSERT INTO case_counters (prefix, last_number) VALUES (?, 1) "
    "ON CONFLICT (prefix) DO UPDATE SET last_number = case_counters.last_number + 1 "
    "RETURNING last_number"
)
CASE_COLUMNS = (
    "ref, template, prefix, number, title, status, reporter_id, reporter_name, place, fields, "
    "conversation_id, rating, created_at, updated_at"
)
INSERT_CASE = f"INSERT INTO cases ({CASE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
GET_CASE = f"SELECT {CASE_COLUMNS} FROM cases WHERE ref = ?"
LIST_CASES = f"SELECT {CASE_COLUMNS} FROM cases"  # + WHERE / ORDER BY built in the store
SET_CASE_STATUS = "UPDATE cases SET status = ?, updated_at = ? WHERE ref = ?"
SET_CASE_RATING = "UPDATE cases SET rating = ?, updated_at = ? WHERE ref = ?"
INSERT_CASE_EVENT = (
    "INSERT INTO case_events (case_ref, from_status, to_status, who, note, at) VALUES (?, ?, ?, ?, ?, ?)"
)
CASE_HISTORY = (
    "SELECT case_ref, from_status, to_status, who, note, at FROM case_events WHERE case_ref = ? ORDER BY id"
)

# --- conversations ---------------------------------------------------------------------------

CONVERSATION_COLUMNS = (
    "id, user_id, user_name, state, conversation_sid, case_ref, queue, agent_name, awaiting_rating, "
    "queued_at, timeout_notified, updated_at"
)
INSERT_CONVERSATION = (
    "INSERT INTO conversations (user_id, user_name, state, updated_at) VALUES (?, ?, 'bot', ?) "
    "ON CONFLICT (user_id) DO NOTHING"
)
GET_CONVERSATION = f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE user_id = ?"
GET_CONVERSATION_BY_ID = f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE id = ?"
CONVERSATION_BY_SID = f"SELECT {CONVERSATION_COLUMNS} FROM conversations WHERE conversation_sid = ?"
WAITING_SINCE = (
    f"SELECT {CONVERSATION_COLUMNS} FROM conversations "
    "WHERE state = 'queued' AND timeout_notified = 0 AND queued_at <= ? ORDER BY queued_at"
)
SAVE_CONVERSATION = (
    "UPDATE conversations SET user_name = ?, state = ?, conversation_sid = ?, case_ref = ?, queue = ?, "
    "agent_name = ?, awaiting_rating = ?, queued_at = ?, timeout_notified = ?, updated_at = ? WHERE id = ?"
)

_PLAYER = (  # after `processed`: their setting, a pending item, conversation and case
    "(SELECT value FROM settings WHERE key = ?) AS setting, "
    "(SELECT 1 FROM outbox WHERE status = 'pending' AND lane = ? AND kind = ? LIMIT 1) AS waiting, "
    + ", ".join(f"c.{name.strip()}" for name in CONVERSATION_COLUMNS.split(","))
    + ", "
    + ", ".join(f"k.{name.strip()} AS k_{name.strip()}" for name in CASE_COLUMNS.split(","))
    + " FROM (SELECT 1 AS one) AS here LEFT JOIN conversations c ON c.user_id = ? "
    "LEFT JOIN cases k ON k.ref = c.case_ref"
)
PLAYER_STATE = "SELECT (SELECT 1 FROM processed_events WHERE id = ?) AS processed, " + _PLAYER
# A player's state as `Writes.take_event` checks a guess of it: every column but the times of change
SEEN = (
    "setting",
    "waiting",
    *(name.strip() for name in CONVERSATION_COLUMNS.split(",") if name.strip() != "updated_at"),
    *(f"k_{name.strip()}" for name in CASE_COLUMNS.split(",") if name.strip() != "updated_at"),
)
STATE_CHANGED = "flexcord: the state changed"  # what a failed check below raises (as an int cast)
_FAIL = f"('{STATE_CHANGED} ' || random())::int"  # volatile: never folded while the statement is planned
# PostgreSQL only, sent with the COMMIT: the event new, the player's state as guessed, the limit's use taken
TAKE_NEW_EVENT = (
    "WITH fresh AS (INSERT INTO processed_events (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING "
    f"RETURNING 1) SELECT CASE WHEN EXISTS (SELECT 1 FROM fresh) THEN 1 ELSE {_FAIL} END"
)
STATE_AS_SEEN = (
    f"SELECT CASE WHEN ROW({', '.join(SEEN)}) IS NOT DISTINCT FROM ROW({', '.join('?' * len(SEEN))}) "
    f"THEN 1 ELSE {_FAIL} END FROM (SELECT NULL AS processed, " + _PLAYER + ") AS s"
)
TAKEN_STATE = "SELECT NULL AS processed, " + _PLAYER  # right after marking the event handled
# PostgreSQL only: the event marked handled and the player's state read in one statement; `processed`
# says whether the mark was there already (the insert's own row is not seen by the SELECT: one snapshot)
TAKE_EVENT = (
    "WITH fresh AS (INSERT INTO processed_events (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING "
    "RETURNING 1) SELECT (SELECT 1 WHERE NOT EXISTS (SELECT 1 FROM fresh)) AS processed, " + _PLAYER
)

# --- transcript ------------------------------------------------------------------------------

MESSAGE_COLUMNS = "id, conversation_id, case_ref, direction, author, text, place, platform_id, at"
INSERT_MESSAGE = (
    "INSERT INTO messages (conversation_id, case_ref, direction, author, text, place, platform_id, at) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)
INSERT_LINE = INSERT_MESSAGE.removesuffix(" RETURNING id")  # a line whose id nobody asks for
SET_MESSAGE_PLATFORM_ID = "UPDATE messages SET platform_id = ? WHERE id = ?"
CASE_TRANSCRIPT = f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE case_ref = ? ORDER BY id"
RECENT_MESSAGES = f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY id DESC LIMIT ?"

# --- attachments -----------------------------------------------------------------------------

ATTACHMENT_COLUMNS = "id, case_ref, user_id, who, name, content_type, size, at"
NEW_ATTACHMENT = "case_ref, user_id, who, name, content_type, size, data, at"
INSERT_ATTACHMENT = f"INSERT INTO attachments ({NEW_ATTACHMENT}) VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
GET_ATTACHMENT = f"SELECT {ATTACHMENT_COLUMNS}, data FROM attachments WHERE id = ?"
CASE_ATTACHMENTS = f"SELECT {ATTACHMENT_COLUMNS} FROM attachments WHERE case_ref = ? ORDER BY id"
SET_ATTACHMENT_CASE = "UPDATE attachments SET case_ref = ? WHERE user_id = ? AND case_ref IS NULL"
FORGET_ATTACHMENTS = "DELETE FROM attachments WHERE at < ?"
PLAYER_REFS = "SELECT ref FROM cases WHERE reporter_id = ? OR conversation_id = ?"
FORGET_PLAYER_ATTACHMENTS = f"DELETE FROM attachments WHERE user_id = ? OR case_ref IN ({PLAYER_REFS})"

# --- outbox ----------------------------------------------------------------------------------

OUTBOX_COLUMNS = (
    "id, lane, kind, payload, status, attempts, next_attempt_at, last_error, idempotency_key, "
    "created_at, delivered_at, case_ref, message_id"
)
ENQUEUE = (
    "INSERT INTO outbox (lane, kind, payload, status, attempts, next_attempt_at, idempotency_key, "
    "created_at, case_ref, message_id) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?) RETURNING id"
)
QUEUE = ENQUEUE.removesuffix(" RETURNING id")  # an item whose id nobody asks for
# PostgreSQL only: a transcript line and the item that delivers it, linked, in one statement
SAY = (
    "WITH line AS (" + INSERT_MESSAGE + ") INSERT INTO outbox (lane, kind, payload, status, attempts, "
    "next_attempt_at, idempotency_key, created_at, case_ref, message_id) "
    "SELECT ?, ?, ?, 'pending', 0, ?, ?, ?, ?, line.id FROM line"
)
GET_OUTBOX_ITEM = f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE id = ?"
LANE_HEAD = f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE lane = ? AND status = 'pending' ORDER BY id LIMIT 1"
PENDING_LANES = (
    "SELECT lane, MIN(id) AS first FROM outbox WHERE status = 'pending' GROUP BY lane ORDER BY first"
)
PENDING_OF_KIND = (
    f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE lane = ? AND kind = ? AND status = 'pending' ORDER BY id"
)
CASE_OUTBOX = f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE case_ref = ? ORDER BY id"
LANE_OUTBOX = f"SELECT {OUTBOX_COLUMNS} FROM outbox WHERE lane = ? ORDER BY id"
# marks an item delivered and says whether other items of its lane wait (the outbox then takes the
# next); the lane comes from a subquery of its own (SQLite: a correlated one would not use the index)
MARK_DELIVERED = (
    "UPDATE outbox SET status = 'delivered', attempts = attempts + 1, delivered_at = ?, last_error = NULL "
    "WHERE id = ? RETURNING EXISTS (SELECT 1 FROM outbox o WHERE o.status = 'pending' "
    "AND o.lane = (SELECT lane FROM outbox WHERE id = ?) AND o.id <> ?) AS waiting"
)
FORGET_DELIVERED = "DELETE FROM outbox WHERE status = 'delivered' AND delivered_at < ?"
FORGET_TRANSCRIPTS = (
    "DELETE FROM messages WHERE at < ? "
    "AND id NOT IN (SELECT message_id FROM outbox WHERE message_id IS NOT NULL)"
)
MARK_RETRY = "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? WHERE id = ?"
MARK_FAILED = "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? WHERE id = ?"
SET_DELIVERY = "UPDATE outbox SET payload = ? WHERE id = ?"
GIVE_UP = "UPDATE outbox SET status = 'failed', last_error = ? WHERE id = ?"
LAST_PROCESSED_AT = "SELECT MAX(at) AS latest FROM processed_events WHERE id LIKE ?"
DM_WATERMARKS = (  # SQLite: CAST of a Discord id to INTEGER (PostgreSQL: BIGINT; ids are digits)
    "SELECT c.user_id, (SELECT MAX(CAST(m.platform_id AS INTEGER)) FROM messages m "
    "WHERE m.conversation_id = c.id AND m.direction = 'in' AND m.place = 'dm' AND m.platform_id IS NOT NULL) "
    "AS newest "
    "FROM conversations c ORDER BY c.updated_at DESC LIMIT ?"
)

# --- erasing a player (a data-protection request); cases stay, without personal details --------

PLAYER_CASES = "SELECT ref FROM cases WHERE reporter_id = ? OR conversation_id = ?"
ERASED = "(erased)"
ERASE_CASE = (
    f"UPDATE cases SET title = '{ERASED}', reporter_id = '', reporter_name = '{ERASED}', fields = '{{}}', "
    "conversation_id = NULL WHERE ref = ?"
)
ERASE_CASE_EVENTS = f"UPDATE case_events SET who = '{ERASED}', note = NULL WHERE case_ref = ? AND who = ?"
FORGET_LANE = "DELETE FROM outbox WHERE lane = ?"
FORGET_CASE_OUTBOX = "DELETE FROM outbox WHERE case_ref = ?"
FORGET_CASE_MESSAGES = "DELETE FROM messages WHERE case_ref = ?"
FORGET_PLAYER_MESSAGES = "DELETE FROM messages WHERE conversation_id = ?"
FORGET_CONVERSATION = "DELETE FROM conversations WHERE id = ?"

# --- cooldowns and message limits: sliding windows every replica shares ----------------------

# uses older than the window (at <= the window's start) count for nothing; `forget_uses` deletes them
USES = "SELECT at, once FROM limit_uses WHERE key = ? AND at > ? ORDER BY at"
TAKE_USE = (  # counted and added at once: a use is added only while the window has room, and once per event
    "INSERT INTO limit_uses (key, at, once) SELECT ?, ?, ? "
    "WHERE (? = '' OR NOT EXISTS (SELECT 1 FROM limit_uses WHERE key = ? AND once = ? AND at > ?)) "
    "AND (SELECT COUNT(*) FROM limit_uses WHERE key = ? AND at > ?) < ?"
)
TAKE_FREE_USE = (  # PostgreSQL only: TAKE_USE, or the transaction fails (the window is full)
    f"WITH used AS ({TAKE_USE} RETURNING 1) "
    f"SELECT CASE WHEN EXISTS (SELECT 1 FROM used) THEN 1 ELSE {_FAIL} END"
)
LIMIT_LOCKS = 0x6C696D  # PostgreSQL: the advisory-lock space of limit keys ("lim")
LOCK_USES = (  # PostgreSQL: one transaction at a time counts a key's uses, until it ends
    f"SELECT pg_advisory_xact_lock({LIMIT_LOCKS}, hashtext(?))"
)
FORGET_OLD_USES = "DELETE FROM limit_uses WHERE at <= ?"
GIVE_BACK_USE = "DELETE FROM limit_uses WHERE key = ? AND once = ?"  # a use taken for an event handled before

# --- several replicas (PostgreSQL) -----------------------------------------------------------

CLAIM = (  # the lane's head only: SKIP LOCKED on the head itself, never the item behind it
    "WITH head AS (SELECT id FROM outbox WHERE lane = ? AND status = 'pending' ORDER BY id LIMIT 1) "
    "UPDATE outbox SET claimed_by = ?, claimed_until = ? "
    "WHERE id = (SELECT o.id FROM outbox o JOIN head ON o.id = head.id FOR UPDATE OF o SKIP LOCKED) "
    "AND status = 'pending' AND (claimed_by IS NULL OR claimed_by = ? OR claimed_until < ?) "
    f"RETURNING {OUTBOX_COLUMNS}"
)
# PostgreSQL only: CLAIM, and a setting read at the same moment (one row, the item's columns NULL
# when nothing was claimed): a player's DM lane and the thread their conversation is in
CLAIM_READING = (
    "WITH claimed AS (" + CLAIM + ") SELECT claimed.*, (SELECT value FROM settings WHERE key = ?) AS setting "
    "FROM (SELECT 1 AS one) AS here LEFT JOIN claimed ON TRUE"
)
RECORD_REPLICA = (
    "INSERT INTO replicas (name, config_version, started_at, seen_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET config_version = excluded.config_version, seen_at = excluded.seen_at"
)
REPLICAS = "SELECT name, config_version, started_at, seen_at FROM replicas ORDER BY name"
TAKE_LEASE = (  # taken when free, lapsed, or already ours; returns the row only when we hold it
    "INSERT INTO leases (name, holder, held_until) VALUES (?, ?, ?) "
    "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, held_until = excluded.held_until "
    "WHERE leases.holder = excluded.holder OR leases.held_until < ? RETURNING holder"
)
LEASE_HOLDER = "SELECT holder FROM leases WHERE name = ?"
RECENT_REPLICAS = (
    "SELECT name, config_version, started_at, seen_at FROM replicas WHERE seen_at >= ? ORDER BY name"
)

# --- the FAQ bot's questions (gaps in the knowledge base) ---------------------------------

RECORD_FAQ_QUESTION = (
    "INSERT INTO faq_questions (user_id, text, language, outcome, at) VALUES (?, ?, ?, ?, ?)"
)
SETTLE_FAQ_QUESTION = (
    "UPDATE faq_questions SET outcome = ? WHERE id = (SELECT MAX(id) FROM faq_questions WHERE user_id = ?)"
    " AND outcome = 'suggested' AND at >= ?"
)
FORGET_FAQ_QUESTIONS = "DELETE FROM faq_questions WHERE user_id = ?"
FAQ_QUESTIONS_SINCE = (
    "SELECT user_id, text, language, outcome, at FROM faq_questions WHERE at >= ? ORDER BY id"
)
