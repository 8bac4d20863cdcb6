package migrations

// Organisation bindings: which applicant accounts act for which organisations of the register. A row
// is made by the registration case (the applicant who registered the organisation) or by a request
// with the legal representative's authorisation letter, which staff of the organisation's
// jurisdiction approve or refuse; an ended binding stays as history. At most one row of an
// organisation and a user is pending or active at a time, so two requests racing cannot both stand.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE organisation_bindings (
			id              {ID},
			organisation_id BIGINT NOT NULL REFERENCES organisations(id),
			user_id         BIGINT NOT NULL REFERENCES users(id),
			how             TEXT NOT NULL,
			status          TEXT NOT NULL,
			case_id         BIGINT REFERENCES cases(id),
			letter_id       BIGINT REFERENCES materials(id),
			created_at      {TIME} NOT NULL,
			decided_at      {TIME},
			decided_by      BIGINT REFERENCES users(id),
			decision_reason TEXT NOT NULL DEFAULT '',
			ended_at        {TIME},
			ended_by        BIGINT REFERENCES users(id),
			end_reason      TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE UNIQUE INDEX organisation_bindings_standing ON organisation_bindings (organisation_id, user_id)
			WHERE status IN ('pending', 'active')`,
		`CREATE INDEX organisation_bindings_user ON organisation_bindings (user_id, status)`,
		`CREATE INDEX organisation_bindings_status ON organisation_bindings (status, organisation_id)`,
	), statements(
		`DROP TABLE organisation_bindings`,
	))
}
