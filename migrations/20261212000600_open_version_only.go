package migrations

// The open cases' index by catalogue version keeps the version alone. With the state beside it,
// PostgreSQL planned the inbox of one state (`?state=accepted`) as a probe of it per (version,
// state) pair of the user's roles, which fetched every open case of the province in that state and
// dropped the other cities' (1,742 buffers for a city's 145 cases among 300,000, up to 4,406 for a
// common state: the tail of the inbox at 8 clients). Without it, that inbox reads the city's cases
// of the state through cases_open_jurisdiction (16–334 buffers), and the version index still
// answers which versions have open cases, the only question asked of it.
func init() {
	all.MustRegister(statements(
		`DROP INDEX cases_open_version`,
		`CREATE INDEX cases_open_version ON cases (version_hash) WHERE closed_at IS NULL`,
	), statements(
		`DROP INDEX cases_open_version`,
		`CREATE INDEX cases_open_version ON cases (version_hash, state) WHERE closed_at IS NULL`,
	))
}
