package migrations

// The organisation's name of each case with its id and day of receipt, so that the staff's search by
// name confirms the cases' name index's candidates (case_name_grams: cases whose name has the query's
// rarest grams) from an index alone, and orders them, rather than reading each candidate's case row
// (253 row reads for 信鸽 in a city of a province of a million cases). The index keeps the names of up
// to 200 characters: a btree entry must fit a third of a page, and a name has no length limit (its
// form field may set none); the few longer names have an index of their own, so that the search reads
// the rows of those alone (workflow.Engine.Search).
func init() {
	all.MustRegister(statements(
		`CREATE INDEX cases_org_name ON cases (id, created_at, org_name) WHERE length(org_name) <= 200`,
		`CREATE INDEX cases_long_org_name ON cases (id) WHERE length(org_name) > 200`,
	), statements(
		`DROP INDEX cases_long_org_name`,
		`DROP INDEX cases_org_name`,
	))
}
