package migrations

// Issued documents become real files: each PDF is stored once by its SHA-256 in document_files,
// which every web process reads (no shared disk needed), and the document row gets what its
// verification page shows and checks: the action that issued it, title, holder, verification code,
// hash, signature, status, the document that superseded it and the organisation it concerns.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE document_files (
			sha256     TEXT PRIMARY KEY,
			content    {BLOB} NOT NULL,
			size       BIGINT NOT NULL,
			created_at {TIME} NOT NULL
		)`,
		`ALTER TABLE documents ADD COLUMN action TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE documents ADD COLUMN title TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE documents ADD COLUMN holder TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE documents ADD COLUMN holder_is_person BOOLEAN NOT NULL DEFAULT FALSE`,
		`ALTER TABLE documents ADD COLUMN verify_code TEXT`,
		`ALTER TABLE documents ADD COLUMN sha256 TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE documents ADD COLUMN signature TEXT NOT NULL DEFAULT ''`,
		`ALTER TABLE documents ADD COLUMN status TEXT NOT NULL DEFAULT 'valid'`,
		`ALTER TABLE documents ADD COLUMN superseded_by BIGINT REFERENCES documents(id)`,
		`ALTER TABLE documents ADD COLUMN organisation_id BIGINT REFERENCES organisations(id)`,
		`CREATE UNIQUE INDEX documents_verify_code ON documents (verify_code)`,
		`CREATE INDEX documents_organisation ON documents (organisation_id, kind)`,
	), statements(
		`DROP INDEX documents_organisation`,
		`DROP INDEX documents_verify_code`,
		`ALTER TABLE documents DROP COLUMN organisation_id`,
		`ALTER TABLE documents DROP COLUMN superseded_by`,
		`ALTER TABLE documents DROP COLUMN status`,
		`ALTER TABLE documents DROP COLUMN signature`,
		`ALTER TABLE documents DROP COLUMN sha256`,
		`ALTER TABLE documents DROP COLUMN verify_code`,
		`ALTER TABLE documents DROP COLUMN holder_is_person`,
		`ALTER TABLE documents DROP COLUMN holder`,
		`ALTER TABLE documents DROP COLUMN title`,
		`ALTER TABLE documents DROP COLUMN action`,
		`DROP TABLE document_files`,
	))
}
