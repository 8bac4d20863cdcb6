package migrations

// The workflow schema: catalogue versions, cases with their hash-chained events, drafts, uploaded
// materials, issued documents, the organisation register and named sequences for numbers.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE catalog_versions (
			hash       TEXT PRIMARY KEY,
			item_code  TEXT NOT NULL,
			source     TEXT NOT NULL,
			definition {JSON} NOT NULL,
			loaded_at  {TIME} NOT NULL
		)`,
		`CREATE INDEX catalog_versions_item ON catalog_versions (item_code, loaded_at)`,
		`CREATE TABLE sequences (
			name  TEXT PRIMARY KEY,
			value BIGINT NOT NULL
		)`,
		`CREATE TABLE cases (
			id               {ID},
			number           TEXT NOT NULL UNIQUE,
			item_code        TEXT NOT NULL,
			version_hash     TEXT NOT NULL REFERENCES catalog_versions(hash),
			jurisdiction     TEXT NOT NULL REFERENCES jurisdictions(code),
			applicant_id     BIGINT NOT NULL REFERENCES users(id),
			state            TEXT NOT NULL,
			version          BIGINT NOT NULL,
			data             {JSON} NOT NULL,
			fields           {JSON} NOT NULL,
			supplement       {JSON},
			cosign           {JSON},
			outcome          TEXT NOT NULL DEFAULT '',
			created_at       {TIME} NOT NULL,
			updated_at       {TIME} NOT NULL,
			state_entered_at {TIME} NOT NULL,
			closed_at        {TIME}
		)`,
		`CREATE INDEX cases_jurisdiction_state ON cases (jurisdiction, state)`,
		`CREATE INDEX cases_applicant ON cases (applicant_id, created_at)`,
		`CREATE INDEX cases_version ON cases (version_hash)`,
		`CREATE TABLE case_events (
			id            {ID},
			case_id       BIGINT NOT NULL REFERENCES cases(id),
			seq           INTEGER NOT NULL,
			at            {TIME} NOT NULL,
			actor_user_id BIGINT REFERENCES users(id),
			actor         TEXT NOT NULL,
			action        TEXT NOT NULL,
			from_state    TEXT NOT NULL,
			to_state      TEXT NOT NULL,
			comment       TEXT NOT NULL DEFAULT '',
			changes       {JSON},
			prev_hash     TEXT NOT NULL,
			hash          TEXT NOT NULL,
			UNIQUE (case_id, seq)
		)`,
		`CREATE TABLE drafts (
			id         {ID},
			user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
			item_code  TEXT NOT NULL,
			case_id    BIGINT NOT NULL DEFAULT 0,
			data       {JSON} NOT NULL,
			updated_at {TIME} NOT NULL,
			UNIQUE (user_id, item_code, case_id)
		)`,
		`CREATE TABLE materials (
			id           {ID},
			owner_id     BIGINT NOT NULL REFERENCES users(id),
			item_code    TEXT NOT NULL,
			slot         TEXT NOT NULL,
			case_id      BIGINT REFERENCES cases(id),
			sha256       TEXT NOT NULL,
			size         BIGINT NOT NULL,
			content_type TEXT NOT NULL,
			filename     TEXT NOT NULL,
			created_at   {TIME} NOT NULL
		)`,
		`CREATE INDEX materials_case ON materials (case_id)`,
		`CREATE INDEX materials_owner ON materials (owner_id, created_at)`,
		`CREATE TABLE documents (
			id        {ID},
			case_id   BIGINT NOT NULL REFERENCES cases(id),
			kind      TEXT NOT NULL,
			number    TEXT NOT NULL UNIQUE,
			issued_at {TIME} NOT NULL,
			data      {JSON}
		)`,
		`CREATE INDEX documents_case ON documents (case_id)`,
		`CREATE TABLE organisations (
			id                   {ID},
			uscc                 TEXT NOT NULL UNIQUE,
			name                 TEXT NOT NULL,
			kind                 TEXT NOT NULL,
			jurisdiction         TEXT NOT NULL REFERENCES jurisdictions(code),
			domicile             TEXT NOT NULL DEFAULT '',
			legal_representative TEXT NOT NULL DEFAULT '',
			status               TEXT NOT NULL,
			case_id              BIGINT REFERENCES cases(id),
			registered_at        {TIME} NOT NULL,
			data                 {JSON}
		)`,
		`CREATE INDEX organisations_name ON organisations (name)`,
	), statements(
		`DROP TABLE organisations`,
		`DROP TABLE documents`,
		`DROP TABLE materials`,
		`DROP TABLE drafts`,
		`DROP TABLE case_events`,
		`DROP TABLE cases`,
		`DROP TABLE sequences`,
		`DROP TABLE catalog_versions`,
	))
}
