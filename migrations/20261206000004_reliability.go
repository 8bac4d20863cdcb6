package migrations

// Reliability: the row /readyz writes to prove that the database takes writes.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE readiness_probe (
			id         INTEGER PRIMARY KEY CHECK (id = 1),
			checked_at {TIME} NOT NULL
		)`,
	), statements(
		`DROP TABLE readiness_probe`,
	))
}
