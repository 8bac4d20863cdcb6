package migrations

// Evaluation levels (评估, 1A–5A) of the organisations of the register: one row per announced level,
// from the evaluation case that awarded it, with its score, the day it was announced and the last day
// it is valid (five years, YYYY-MM-DD in China). reminded_at records the reminder sent before it
// expires, so that each level is reminded of once.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE organisation_evaluations (
			id              {ID},
			organisation_id BIGINT NOT NULL REFERENCES organisations(id),
			case_id         BIGINT NOT NULL REFERENCES cases(id),
			level           TEXT NOT NULL,
			score           INTEGER NOT NULL,
			announced_at    {TIME} NOT NULL,
			valid_until     TEXT NOT NULL,
			reminded_at     {TIME}
		)`,
		`CREATE UNIQUE INDEX organisation_evaluations_case ON organisation_evaluations (case_id)`,
		`CREATE INDEX organisation_evaluations_organisation ON organisation_evaluations (organisation_id, announced_at)`,
		`CREATE INDEX organisation_evaluations_due ON organisation_evaluations (valid_until) WHERE reminded_at IS NULL`,
	), statements(
		`DROP TABLE organisation_evaluations`,
	))
}
