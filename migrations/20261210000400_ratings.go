package migrations

// 好差评 (国办发〔2019〕51号): ratings of finished cases and of visits to a registration office, and
// the rectification task every 差评 opens. A case is rated once and a booking once: the partial unique
// indexes refuse a second rating whatever the concurrency. A task records its steps in order (the
// stage it waits for), its due date on the legal clock, and the reminder and escalation the worker
// sent, each once (reminded_at, escalated_at set by a conditional UPDATE).
func init() {
	all.MustRegister(statements(
		`CREATE TABLE ratings (
			id           {ID},
			subject      TEXT NOT NULL,
			case_id      BIGINT REFERENCES cases(id),
			booking_id   BIGINT REFERENCES bookings(id),
			rater_id     BIGINT NOT NULL REFERENCES users(id),
			item_code    TEXT NOT NULL DEFAULT '',
			jurisdiction TEXT NOT NULL,
			level        INTEGER NOT NULL,
			comment      TEXT NOT NULL DEFAULT '',
			clerk_id     BIGINT REFERENCES users(id),
			created_at   {TIME} NOT NULL
		)`,
		`CREATE UNIQUE INDEX ratings_case ON ratings (case_id) WHERE case_id IS NOT NULL`,
		`CREATE UNIQUE INDEX ratings_booking ON ratings (booking_id) WHERE booking_id IS NOT NULL`,
		`CREATE INDEX ratings_created ON ratings (created_at, jurisdiction, item_code)`,
		`CREATE INDEX ratings_clerk ON ratings (clerk_id) WHERE clerk_id IS NOT NULL`,
		`CREATE TABLE rating_rectifications (
			id               {ID},
			rating_id        BIGINT NOT NULL REFERENCES ratings(id),
			jurisdiction     TEXT NOT NULL,
			stage            TEXT NOT NULL,
			opened_on        TEXT NOT NULL,
			due_on           TEXT NOT NULL,
			callback_on      TEXT NOT NULL DEFAULT '',
			callback_reached TEXT NOT NULL DEFAULT '',
			callback_summary TEXT NOT NULL DEFAULT '',
			callback_by      BIGINT REFERENCES users(id),
			callback_at      {TIME},
			founded          BOOLEAN,
			finding          TEXT NOT NULL DEFAULT '',
			finding_by       BIGINT REFERENCES users(id),
			finding_at       {TIME},
			measures         TEXT NOT NULL DEFAULT '',
			measures_by      BIGINT REFERENCES users(id),
			measures_at      {TIME},
			result           TEXT NOT NULL DEFAULT '',
			result_by        BIGINT REFERENCES users(id),
			result_at        {TIME},
			closed_on        TEXT NOT NULL DEFAULT '',
			reminded_at      {TIME},
			escalated_at     {TIME}
		)`,
		`CREATE UNIQUE INDEX rating_rectifications_rating ON rating_rectifications (rating_id)`,
		`CREATE INDEX rating_rectifications_open ON rating_rectifications (stage, due_on)`,
	), statements(
		`DROP TABLE rating_rectifications`,
		`DROP TABLE ratings`,
	))
}
