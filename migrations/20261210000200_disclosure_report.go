package migrations

// What staff keep for the annual government-information-disclosure report (政府信息公开工作年度报告,
// 国办公开办函〔2021〕30号) beside what the product counts itself, per year and jurisdiction (the
// department's own division code): the figures of the 主动公开 table for what happens outside the
// product (规章 and 规范性文件 issued, repealed and in force, licence decisions taken elsewhere,
// penalties, enforcement decisions, fees in fen), the narrative sections, and one row per
// administrative review (行政复议) or lawsuit (行政诉讼) about the department's disclosure work with
// its result. A figure or a section is one row per key, so that saving it again replaces it.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE disclosure_report_figures (
			year         INTEGER NOT NULL,
			jurisdiction TEXT NOT NULL REFERENCES jurisdictions(code),
			figure       TEXT NOT NULL,
			value        BIGINT NOT NULL,
			updated_at   {TIME} NOT NULL,
			updated_by   BIGINT REFERENCES users(id),
			PRIMARY KEY (year, jurisdiction, figure)
		)`,
		`CREATE TABLE disclosure_report_texts (
			year         INTEGER NOT NULL,
			jurisdiction TEXT NOT NULL REFERENCES jurisdictions(code),
			section      TEXT NOT NULL,
			body         TEXT NOT NULL,
			updated_at   {TIME} NOT NULL,
			updated_by   BIGINT REFERENCES users(id),
			PRIMARY KEY (year, jurisdiction, section)
		)`,
		`CREATE TABLE disclosure_reviews (
			id           {ID},
			year         INTEGER NOT NULL,
			jurisdiction TEXT NOT NULL REFERENCES jurisdictions(code),
			kind         TEXT NOT NULL,
			result       TEXT NOT NULL,
			reference    TEXT NOT NULL DEFAULT '',
			created_at   {TIME} NOT NULL,
			created_by   BIGINT REFERENCES users(id),
			updated_at   {TIME} NOT NULL
		)`,
		`CREATE INDEX disclosure_reviews_year ON disclosure_reviews (jurisdiction, year)`,
	), statements(
		`DROP TABLE disclosure_reviews`,
		`DROP TABLE disclosure_report_texts`,
		`DROP TABLE disclosure_report_figures`,
	))
}
