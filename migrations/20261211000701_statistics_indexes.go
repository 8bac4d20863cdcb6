package migrations

// Indexes for the statistics of a province (issue 14): the cases by jurisdiction and item with the
// columns the figures read (an index-only scan of a city's cases), and the clocks that stopped after
// a due date (late), which the figures join, few among a million.
func init() {
	all.MustRegister(statements(
		`CREATE INDEX cases_statistics ON cases (jurisdiction, item_code, created_at, closed_at)`,
		`CREATE INDEX case_clocks_late ON case_clocks (case_id) WHERE (promised_due <> '' AND stopped_on <> '' AND stopped_on > promised_due) OR (statutory_due <> '' AND stopped_on <> '' AND stopped_on > statutory_due)`,
	), statements(
		`DROP INDEX case_clocks_late`,
		`DROP INDEX cases_statistics`,
	))
}
