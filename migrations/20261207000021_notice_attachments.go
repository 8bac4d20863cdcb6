package migrations

// The attachments of notice versions: uploads of the materials store, each listed with the version
// it was attached to (a correction carries its predecessor's attachments over).
func init() {
	all.MustRegister(statements(
		`CREATE TABLE notice_attachments (
			version_id  BIGINT NOT NULL REFERENCES notice_versions(id),
			material_id BIGINT NOT NULL REFERENCES materials(id),
			PRIMARY KEY (version_id, material_id)
		)`,
		`CREATE INDEX notice_attachments_material ON notice_attachments (material_id)`,
	), statements(
		`DROP TABLE notice_attachments`,
	))
}
