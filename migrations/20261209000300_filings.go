package migrations

// Filings and deregistration (issue 12, part C). organisation_filings records each procedure about
// an organisation that concluded (章程核准, 负责人变更备案, 换届备案, 注销登记) for its public history;
// organisation_terms holds the end of each organisation's current term (换届), with the day its
// six-months reminder went out, so that the worker sends it once.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE organisation_filings (
			id              {ID},
			organisation_id BIGINT NOT NULL REFERENCES organisations(id),
			case_id         BIGINT NOT NULL REFERENCES cases(id),
			item_code       TEXT NOT NULL,
			title           {JSON} NOT NULL,
			decision_number TEXT NOT NULL DEFAULT '',
			at              {TIME} NOT NULL
		)`,
		`CREATE INDEX organisation_filings_organisation ON organisation_filings (organisation_id, at)`,
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
		`DROP INDEX organisation_filings_organisation`,
		`DROP TABLE organisation_filings`,
	))
}
