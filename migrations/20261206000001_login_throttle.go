package migrations

// The login throttle's lock rows: one per throttle key (a login name or a client address), which
// every login attempt upserts, and so locks, before it counts the key's failures and reserves one, so
// that attempts on the same key take turns and concurrent guesses cannot all be checked.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE login_throttle (
			key     TEXT PRIMARY KEY,
			last_at {TIME} NOT NULL
		)`,
	), statements(
		`DROP TABLE login_throttle`,
	))
}
