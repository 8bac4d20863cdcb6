package migrations

// Procedures about an organisation of the register (change, deregistration, evaluation…):
//   - organisation_events keeps the registered events after establishment (register.RecordEvent), each
//     with its date, the case and decision behind it, the procedure's name and, for a change, every
//     particular's previous and new value, so that the register shows the organisation's whole history;
//   - at most one open case of an item per organisation (the case's credit code): two applications
//     for the same procedure racing cannot both be filed. Cases not about an organisation have no
//     credit code while open. An item may allow several (catalog.Item.ConcurrentCases: each year's
//     annual report), marked concurrent on its cases.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE organisation_events (
			id              {ID},
			organisation_id BIGINT NOT NULL REFERENCES organisations(id),
			kind            TEXT NOT NULL,
			at              {TIME} NOT NULL,
			case_id         BIGINT REFERENCES cases(id),
			case_number     TEXT NOT NULL DEFAULT '',
			decision_number TEXT NOT NULL DEFAULT '',
			changes         {JSON},
			note            TEXT NOT NULL DEFAULT '',
			title           {JSON}
		)`,
		`CREATE INDEX organisation_events_organisation ON organisation_events (organisation_id, at)`,
		`CREATE INDEX organisation_events_case ON organisation_events (case_id)`,
		`ALTER TABLE cases ADD COLUMN concurrent BOOLEAN NOT NULL DEFAULT FALSE`,
		`CREATE UNIQUE INDEX cases_open_per_organisation ON cases (item_code, credit_code)
			WHERE closed_at IS NULL AND credit_code <> '' AND NOT concurrent`,
	), statements(
		`DROP INDEX cases_open_per_organisation`,
		`ALTER TABLE cases DROP COLUMN concurrent`,
		`DROP TABLE organisation_events`,
	))
}
