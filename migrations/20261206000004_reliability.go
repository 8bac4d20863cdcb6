package migrations

// Reliability: the row /readyz writes to prove that the database takes writes, and the idempotency
// keys that let a client retry a request that creates a record without creating a second one.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE readiness_probe (
			id         INTEGER PRIMARY KEY CHECK (id = 1),
			checked_at {TIME} NOT NULL
		)`,
		`CREATE TABLE idempotency_keys (
			user_id     BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			key         TEXT NOT NULL,
			request     TEXT NOT NULL,
			fingerprint TEXT NOT NULL,
			record_id   BIGINT NOT NULL,
			status      INTEGER NOT NULL DEFAULT 0,
			response    TEXT,
			created_at  {TIME} NOT NULL,
			PRIMARY KEY (user_id, key)
		)`,
		`CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at)`,
	), statements(
		`DROP TABLE idempotency_keys`,
		`DROP TABLE readiness_probe`,
	))
}
