package migrations

// A login attempt's reservation is pending while its password is being checked, and becomes a
// failure only when the check fails (or never ends): the throttle then counts failures against its
// limits and lets attempts wait for pending ones, instead of refusing right passwords sent at once.
func init() {
	all.MustRegister(statements(
		`ALTER TABLE login_failures ADD COLUMN pending BOOLEAN NOT NULL DEFAULT FALSE`,
	), statements(
		`ALTER TABLE login_failures DROP COLUMN pending`,
	))
}
