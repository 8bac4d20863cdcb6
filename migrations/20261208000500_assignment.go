package migrations

// Assignment (承办人) and internal notes. A case's assignee is the reviewer an approver named to
// handle it (workflow.Engine.Assign; each assignment is also an event of the case's hash chain).
// Internal notes are staff's remarks on a case, kept apart from its events so that writing one
// does not change the case's version under a colleague's open form, and never shown to applicants.
func init() {
	all.MustRegister(statements(
		`ALTER TABLE cases ADD COLUMN assignee_id BIGINT REFERENCES users(id)`,
		`CREATE INDEX cases_assignee ON cases (assignee_id)`,
		`CREATE TABLE case_notes (
			id         {ID},
			case_id    BIGINT NOT NULL REFERENCES cases(id),
			author_id  BIGINT NOT NULL REFERENCES users(id),
			body       TEXT NOT NULL,
			created_at {TIME} NOT NULL
		)`,
		`CREATE INDEX case_notes_case ON case_notes (case_id, id)`,
	), statements(
		`DROP INDEX case_notes_case`,
		`DROP TABLE case_notes`,
		`DROP INDEX cases_assignee`,
		`ALTER TABLE cases DROP COLUMN assignee_id`,
	))
}
