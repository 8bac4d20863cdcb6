package migrations

// The running clocks by promised due date (issue 14): the clock worker reads, on every tick, only
// the clocks whose reminder may be due (promised due date near) or that are overdue (statutory due
// date past, index case_clocks_status), not every running clock of a province.
func init() {
	all.MustRegister(statements(
		`CREATE INDEX case_clocks_running_promised ON case_clocks (promised_due) WHERE status = 'running'`,
	), statements(
		`DROP INDEX case_clocks_running_promised`,
	))
}
