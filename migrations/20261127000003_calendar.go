package migrations

// The calendar's local overrides of the national holiday schedule: a day closed or worked in a
// jurisdiction and everything below it. Days are stored as 'YYYY-MM-DD' text, so that neither
// database shifts them by a time zone.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE calendar_overrides (
			id           {ID},
			jurisdiction TEXT NOT NULL REFERENCES jurisdictions(code),
			day          TEXT NOT NULL CHECK (day LIKE '____-__-__'),
			kind         TEXT NOT NULL CHECK (kind IN ('closed', 'working')),
			note         TEXT NOT NULL DEFAULT '',
			created_by   TEXT NOT NULL,
			created_at   {TIME} NOT NULL,
			UNIQUE (jurisdiction, day)
		)`,
		`CREATE INDEX calendar_overrides_day ON calendar_overrides (day)`,
	), statements(
		`DROP TABLE calendar_overrides`,
	))
}
