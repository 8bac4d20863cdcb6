package migrations

// Indexes for a province's million cases (issue 14). Of the open cases: by time in their state with
// the jurisdiction beside it (the staff inbox, longest waiting first, reads the index in order and
// fetches only its scope's rows until the page is full), by jurisdiction and state (the inbox and
// the desk's search of one state), by catalogue version (which versions still have open cases). Of
// every case: by time of receipt (the desk's newest-first pages). Each is built in the migration's
// transaction: a few seconds on a million cases, while cases wait to be written.
func init() {
	all.MustRegister(statements(
		`CREATE INDEX cases_open_entered ON cases (state_entered_at, jurisdiction) WHERE closed_at IS NULL`,
		`CREATE INDEX cases_open_jurisdiction ON cases (jurisdiction, state, state_entered_at) WHERE closed_at IS NULL`,
		`CREATE INDEX cases_open_version ON cases (version_hash, state) WHERE closed_at IS NULL`,
		`CREATE INDEX cases_created ON cases (created_at, id)`,
	), statements(
		`DROP INDEX cases_created`,
		`DROP INDEX cases_open_version`,
		`DROP INDEX cases_open_jurisdiction`,
		`DROP INDEX cases_open_entered`,
	))
}
