package migrations

// Consultations, complaints and suggestions from the public (咨询 / 投诉 / 建议, package inquiries): the
// submission with its handling jurisdiction and due date on the legal clock, the reply, its
// publication on the public Q&A list (with the asker's consent, after the publisher's review) and the
// asker's rating. An anonymous asker reads the reply with the tracking number and a secret, of which
// only a hash is kept. inquiry_notices records each reminder and escalation sent, under a unique key,
// so that several workers send each one once.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE inquiries (
			id               {ID},
			number           TEXT NOT NULL UNIQUE,
			kind             TEXT NOT NULL,
			jurisdiction     TEXT NOT NULL,
			item_code        TEXT NOT NULL DEFAULT '',
			case_number      TEXT NOT NULL DEFAULT '',
			title            TEXT NOT NULL,
			body             TEXT NOT NULL,
			name             TEXT NOT NULL DEFAULT '',
			contact          TEXT NOT NULL DEFAULT '',
			publish_consent  BOOLEAN NOT NULL DEFAULT FALSE,
			user_id          BIGINT REFERENCES users(id),
			secret_hash      TEXT NOT NULL DEFAULT '',
			received_at      {TIME} NOT NULL,
			due_on           TEXT NOT NULL,
			status           TEXT NOT NULL,
			reply            TEXT NOT NULL DEFAULT '',
			replied_at       {TIME},
			replied_on       TEXT NOT NULL DEFAULT '',
			replied_by       BIGINT REFERENCES users(id),
			publication      TEXT NOT NULL DEFAULT '',
			publication_note TEXT NOT NULL DEFAULT '',
			published_at     {TIME},
			decided_by       BIGINT REFERENCES users(id),
			rating           INTEGER,
			rating_comment   TEXT NOT NULL DEFAULT '',
			rated_at         {TIME}
		)`,
		`CREATE INDEX inquiries_open ON inquiries (status, jurisdiction, due_on)`,
		`CREATE INDEX inquiries_user ON inquiries (user_id, received_at)`,
		`CREATE INDEX inquiries_publication ON inquiries (publication, published_at)`,
		`CREATE INDEX inquiries_year ON inquiries (jurisdiction, received_at)`,
		`CREATE TABLE inquiry_notices (
			inquiry_id BIGINT NOT NULL REFERENCES inquiries(id),
			kind       TEXT NOT NULL,
			sent_at    {TIME} NOT NULL,
			PRIMARY KEY (inquiry_id, kind)
		)`,
	), statements(
		`DROP TABLE inquiry_notices`,
		`DROP TABLE inquiries`,
	))
}
