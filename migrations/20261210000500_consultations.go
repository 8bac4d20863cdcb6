package migrations

// 征求意见: drafts put to public comment (consultations), the comments the public sends on them,
// moderated before display and answered one by one (or in groups) in the adoption report, and the
// files attached to a draft (uploads of the materials store). The comment period is two civil dates
// of China, both included.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE consultations (
			id                  {ID},
			jurisdiction        TEXT NOT NULL REFERENCES jurisdictions(code),
			kind                TEXT NOT NULL,
			status              TEXT NOT NULL,
			title               TEXT NOT NULL,
			body                TEXT NOT NULL,
			explanation         TEXT NOT NULL,
			starts_on           TEXT NOT NULL,
			ends_on             TEXT NOT NULL,
			author_id           BIGINT REFERENCES users(id),
			reviewer_id         BIGINT REFERENCES users(id),
			review_comment      TEXT NOT NULL DEFAULT '',
			created_at          {TIME} NOT NULL,
			updated_at          {TIME} NOT NULL,
			published_at        {TIME},
			closed_at           {TIME},
			comments            INTEGER NOT NULL DEFAULT 0,
			report              TEXT NOT NULL DEFAULT '',
			report_by           BIGINT REFERENCES users(id),
			report_reviewer_id  BIGINT REFERENCES users(id),
			report_comment      TEXT NOT NULL DEFAULT '',
			report_published_at {TIME}
		)`,
		`CREATE INDEX consultations_public ON consultations (status, published_at)`,
		`CREATE INDEX consultations_jurisdiction ON consultations (jurisdiction, status)`,
		`CREATE TABLE consultation_comments (
			id              {ID},
			consultation_id BIGINT NOT NULL REFERENCES consultations(id),
			number          INTEGER NOT NULL,
			body            TEXT NOT NULL,
			name            TEXT NOT NULL DEFAULT '',
			contact         TEXT NOT NULL DEFAULT '',
			user_id         BIGINT REFERENCES users(id),
			status          TEXT NOT NULL,
			created_at      {TIME} NOT NULL,
			moderated_by    BIGINT REFERENCES users(id),
			moderated_at    {TIME},
			decision        TEXT NOT NULL DEFAULT '',
			reason          TEXT NOT NULL DEFAULT '',
			response_group  INTEGER NOT NULL DEFAULT 0,
			decided_by      BIGINT REFERENCES users(id),
			decided_at      {TIME},
			UNIQUE (consultation_id, number)
		)`,
		`CREATE INDEX consultation_comments_created ON consultation_comments (created_at)`,
		`CREATE TABLE consultation_attachments (
			consultation_id BIGINT NOT NULL REFERENCES consultations(id),
			material_id     BIGINT NOT NULL REFERENCES materials(id),
			PRIMARY KEY (consultation_id, material_id)
		)`,
	), statements(
		`DROP TABLE consultation_attachments`,
		`DROP TABLE consultation_comments`,
		`DROP TABLE consultations`,
	))
}
