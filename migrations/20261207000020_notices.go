package migrations

// Notices (公告) and 双公示 entries: a notice is the row the public lists and finds, with the title of
// the version it shows; its versions keep every text it ever had, so that a published text is never
// changed in place and a correction shows what it replaced.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE notices (
			id               {ID},
			category         TEXT NOT NULL,
			kind             TEXT NOT NULL,
			jurisdiction     TEXT NOT NULL REFERENCES jurisdictions(code),
			status           TEXT NOT NULL,
			title            TEXT NOT NULL,
			version          INTEGER NOT NULL DEFAULT 0,
			author_id        BIGINT REFERENCES users(id),
			case_id          BIGINT REFERENCES cases(id),
			created_at       {TIME} NOT NULL,
			published_at     {TIME},
			updated_at       {TIME} NOT NULL,
			withdrawn_at     {TIME},
			withdrawn_by     BIGINT REFERENCES users(id),
			withdrawn_reason TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX notices_public ON notices (status, category, published_at)`,
		`CREATE INDEX notices_case ON notices (case_id)`,
		`CREATE TABLE notice_versions (
			id             {ID},
			notice_id      BIGINT NOT NULL REFERENCES notices(id),
			number         INTEGER NOT NULL,
			status         TEXT NOT NULL,
			title          TEXT NOT NULL,
			body           TEXT NOT NULL,
			change         TEXT NOT NULL DEFAULT '',
			licence        {JSON},
			author_id      BIGINT REFERENCES users(id),
			reviewer_id    BIGINT REFERENCES users(id),
			review_comment TEXT NOT NULL DEFAULT '',
			created_at     {TIME} NOT NULL,
			published_at   {TIME},
			UNIQUE (notice_id, number)
		)`,
	), statements(
		`DROP TABLE notice_versions`,
		`DROP TABLE notices`,
	))
}
