package migrations

// Single sign-on through the unified identity platform: the links between accounts and the
// platform's subject identifiers (issuer + sub; one identity per account and platform), and the
// sign-ins under way, each kept until its callback (or its expiry) with the nonce and PKCE verifier
// that only this side knows.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE sso_links (
			id            {ID},
			user_id       BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			issuer        TEXT NOT NULL,
			subject       TEXT NOT NULL,
			created_at    {TIME} NOT NULL,
			last_login_at {TIME},
			UNIQUE (issuer, subject),
			UNIQUE (user_id, issuer)
		)`,
		`CREATE TABLE sso_attempts (
			state_hash TEXT PRIMARY KEY,
			nonce      TEXT NOT NULL,
			verifier   TEXT NOT NULL,
			purpose    TEXT NOT NULL,
			user_id    BIGINT REFERENCES users(id) ON DELETE CASCADE,
			next       TEXT NOT NULL DEFAULT '/',
			expires_at {TIME} NOT NULL
		)`,
		`CREATE INDEX sso_attempts_expires_at ON sso_attempts (expires_at)`,
	), statements(
		`DROP TABLE sso_attempts`,
		`DROP TABLE sso_links`,
	))
}
