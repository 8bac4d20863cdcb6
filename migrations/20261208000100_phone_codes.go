package migrations

// One-time codes sent by SMS to confirm a mobile number at sign-up and at a password reset
// (accounts.Enrolment): one live code per number and purpose, stored as a hash, single-use, expiring.
// A number's account is looked up by login or phone, so the phone is indexed too.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE phone_codes (
			id         {ID},
			phone      TEXT NOT NULL,
			purpose    TEXT NOT NULL CHECK (purpose IN ('signup', 'reset')),
			code_hash  TEXT NOT NULL,
			created_at {TIME} NOT NULL,
			expires_at {TIME} NOT NULL,
			used_at    {TIME}
		)`,
		`CREATE INDEX phone_codes_phone ON phone_codes (phone, purpose)`,
		`CREATE INDEX phone_codes_expires_at ON phone_codes (expires_at)`,
		`CREATE INDEX users_phone ON users (phone)`,
	), statements(
		`DROP INDEX users_phone`,
		`DROP TABLE phone_codes`,
	))
}
