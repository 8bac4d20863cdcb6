package migrations

// Case parties: the people a case concerns besides its applicant (the other spouse of a marriage or
// divorce registration), who read it and act on it as the applicant does.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE case_parties (
			case_id BIGINT NOT NULL REFERENCES cases(id),
			user_id BIGINT NOT NULL REFERENCES users(id),
			PRIMARY KEY (case_id, user_id)
		)`,
		`CREATE INDEX case_parties_user ON case_parties (user_id)`,
	), statements(
		`DROP TABLE case_parties`,
	))
}
