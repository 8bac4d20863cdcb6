package migrations

// A case row keeps the hash of its last event (the head of its hash chain), so that an action links
// its event to the chain without reading the event before; the number of events is the case's
// version already. Existing cases take the hash of their last event.
func init() {
	all.MustRegister(statements(
		`ALTER TABLE cases ADD COLUMN last_hash TEXT NOT NULL DEFAULT ''`,
		`UPDATE cases SET last_hash = COALESCE((SELECT ev.hash FROM case_events ev WHERE ev.case_id = cases.id
			ORDER BY ev.seq DESC LIMIT 1), '')`,
	), statements(
		`ALTER TABLE cases DROP COLUMN last_hash`,
	))
}
