package migrations

// Credit lists (社会组织信用信息管理办法): an organisation's entries on the 活动异常名录 (abnormal) and
// the 严重违法失信名单 (serious), with reason, date, authority and source, kept after removal with its
// date and reason. The unique index allows one standing entry per organisation, list, reason and year
// (0 for a reason without one): the annual-report deadline pass and the worker's escalation may run
// again, or twice at once, without listing anybody twice.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE credit_listings (
			id              {ID},
			organisation_id BIGINT NOT NULL REFERENCES organisations(id),
			list            TEXT NOT NULL,
			reason          TEXT NOT NULL,
			detail          TEXT NOT NULL DEFAULT '',
			year            INTEGER NOT NULL DEFAULT 0,
			authority       TEXT NOT NULL,
			source          TEXT NOT NULL,
			listed_at       {TIME} NOT NULL,
			listed_by       BIGINT REFERENCES users(id),
			escalated_from  BIGINT REFERENCES credit_listings(id),
			removed_at      {TIME},
			removed_by      BIGINT REFERENCES users(id),
			removal         TEXT NOT NULL DEFAULT '',
			removal_reason  TEXT NOT NULL DEFAULT '',
			removal_case_id BIGINT REFERENCES cases(id)
		)`,
		`CREATE UNIQUE INDEX credit_listings_standing ON credit_listings (organisation_id, list, reason, year)
			WHERE removed_at IS NULL`,
		`CREATE INDEX credit_listings_list ON credit_listings (list, removed_at, listed_at)`,
		`CREATE INDEX credit_listings_organisation ON credit_listings (organisation_id, listed_at)`,
	), statements(
		`DROP TABLE credit_listings`,
	))
}
