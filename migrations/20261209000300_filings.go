package migrations

// Filings (issue 12): organisation_terms holds the end of each organisation's current term (换届), with the day its
// six-months reminder went out, so that the worker sends it once.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE organisation_terms (
			organisation_id BIGINT PRIMARY KEY REFERENCES organisations(id),
			case_id         BIGINT NOT NULL REFERENCES cases(id),
			ends_on         TEXT NOT NULL,
			reminded_at     {TIME}
		)`,
		`CREATE INDEX organisation_terms_due ON organisation_terms (ends_on) WHERE reminded_at IS NULL`,
	), statements(
		`DROP INDEX organisation_terms_due`,
		`DROP TABLE organisation_terms`,
	))
}
