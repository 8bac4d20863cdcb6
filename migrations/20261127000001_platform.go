package migrations

// The platform schema: jurisdictions, accounts and sessions, policies, audit log and notifications.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE jurisdictions (
			code        TEXT PRIMARY KEY CHECK (length(code) = 6),
			name_zh     TEXT NOT NULL,
			name_en     TEXT NOT NULL DEFAULT '',
			parent_code TEXT REFERENCES jurisdictions(code),
			created_at  {TIME} NOT NULL
		)`,
		`CREATE TABLE users (
			id            {ID},
			login         TEXT NOT NULL UNIQUE,
			display_name  TEXT NOT NULL DEFAULT '',
			email         TEXT NOT NULL DEFAULT '',
			phone         TEXT NOT NULL DEFAULT '',
			locale        TEXT NOT NULL DEFAULT 'zh-CN',
			password_hash TEXT NOT NULL,
			disabled      BOOLEAN NOT NULL DEFAULT FALSE,
			created_at    {TIME} NOT NULL,
			updated_at    {TIME} NOT NULL
		)`,
		`CREATE TABLE sessions (
			id_hash      TEXT PRIMARY KEY,
			user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			created_at   {TIME} NOT NULL,
			last_seen_at {TIME} NOT NULL,
			expires_at   {TIME} NOT NULL,
			ip           TEXT NOT NULL DEFAULT '',
			user_agent   TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX sessions_user_id ON sessions (user_id)`,
		`CREATE TABLE api_tokens (
			id           {ID},
			user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			name         TEXT NOT NULL,
			token_hash   TEXT NOT NULL UNIQUE,
			created_at   {TIME} NOT NULL,
			last_used_at {TIME},
			expires_at   {TIME},
			revoked_at   {TIME}
		)`,
		`CREATE TABLE login_failures (
			id  {ID},
			key TEXT NOT NULL,
			at  {TIME} NOT NULL
		)`,
		`CREATE INDEX login_failures_key_at ON login_failures (key, at)`,
		`CREATE TABLE casbin_rule (
			id    {ID},
			ptype TEXT NOT NULL,
			v0    TEXT NOT NULL DEFAULT '',
			v1    TEXT NOT NULL DEFAULT '',
			v2    TEXT NOT NULL DEFAULT '',
			v3    TEXT NOT NULL DEFAULT '',
			v4    TEXT NOT NULL DEFAULT '',
			v5    TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE UNIQUE INDEX casbin_rule_unique ON casbin_rule (ptype, v0, v1, v2, v3, v4, v5)`,
		`CREATE TABLE policy_revision (
			id       INTEGER PRIMARY KEY CHECK (id = 1),
			revision BIGINT NOT NULL
		)`,
		`INSERT INTO policy_revision (id, revision) VALUES (1, 0)`,
		`CREATE TABLE settings (
			name  TEXT PRIMARY KEY,
			value TEXT NOT NULL
		)`,
		`CREATE TABLE audit_log (
			id            {ID},
			at            {TIME} NOT NULL,
			actor_user_id BIGINT REFERENCES users(id),
			actor         TEXT NOT NULL,
			action        TEXT NOT NULL,
			object_type   TEXT NOT NULL,
			object_id     TEXT NOT NULL,
			jurisdiction  TEXT NOT NULL DEFAULT '',
			detail        {JSON},
			request_id    TEXT NOT NULL DEFAULT '',
			ip            TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX audit_log_object ON audit_log (object_type, object_id)`,
		`CREATE TABLE outbox (
			id            {ID},
			created_at    {TIME} NOT NULL,
			channel       TEXT NOT NULL CHECK (channel IN ('inbox', 'email', 'sms')),
			user_id       BIGINT REFERENCES users(id) ON DELETE SET NULL,
			address       TEXT NOT NULL DEFAULT '',
			locale        TEXT NOT NULL,
			template      TEXT NOT NULL,
			data          {JSON},
			status        TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
			attempts      INTEGER NOT NULL DEFAULT 0,
			enqueued_at   {TIME},
			claimed_until {TIME},
			delivered_at  {TIME},
			last_error    TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX outbox_pending ON outbox (status, enqueued_at)`,
		`CREATE TABLE deliveries (
			id        {ID},
			outbox_id BIGINT NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
			attempt   INTEGER NOT NULL,
			at        {TIME} NOT NULL,
			ok        BOOLEAN NOT NULL,
			error     TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX deliveries_outbox_id ON deliveries (outbox_id)`,
		`CREATE TABLE messages (
			id         {ID},
			user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			outbox_id  BIGINT NOT NULL UNIQUE REFERENCES outbox(id) ON DELETE CASCADE,
			subject    TEXT NOT NULL,
			body       TEXT NOT NULL,
			created_at {TIME} NOT NULL,
			read_at    {TIME}
		)`,
		`CREATE INDEX messages_user_id ON messages (user_id, created_at)`,
	), statements(
		`DROP TABLE messages`,
		`DROP TABLE deliveries`,
		`DROP TABLE outbox`,
		`DROP TABLE audit_log`,
		`DROP TABLE settings`,
		`DROP TABLE policy_revision`,
		`DROP TABLE casbin_rule`,
		`DROP TABLE login_failures`,
		`DROP TABLE api_tokens`,
		`DROP TABLE sessions`,
		`DROP TABLE users`,
		`DROP TABLE jurisdictions`,
	))
}
