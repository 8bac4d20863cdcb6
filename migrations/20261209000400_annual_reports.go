package migrations

// Annual reports (年度工作报告) as campaigns: an admin opens a year's campaign for a jurisdiction and
// its divisions below, which puts one pending report row per active organisation registered by the
// cut-off in a single INSERT … SELECT. The organisation files it as a case of the item annual-report,
// which links the case to its row; staff record the result there. One report per organisation and
// year, whichever campaign covered it first, so two campaigns racing cannot both claim it.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE annual_campaigns (
			id                       {ID},
			year                     INTEGER NOT NULL,
			jurisdiction             TEXT NOT NULL REFERENCES jurisdictions(code),
			deadline_social_group    TEXT NOT NULL,
			deadline_private_non_enterprise TEXT NOT NULL,
			deadline_foundation      TEXT NOT NULL,
			cutoff                   TEXT NOT NULL,
			remind_days              INTEGER NOT NULL,
			opened_at                {TIME} NOT NULL,
			opened_by                BIGINT REFERENCES users(id),
			reports                  INTEGER NOT NULL DEFAULT 0,
			results_notice_id        BIGINT REFERENCES notices(id),
			UNIQUE (year, jurisdiction)
		)`,
		`CREATE TABLE annual_reports (
			id                     {ID},
			campaign_id            BIGINT NOT NULL REFERENCES annual_campaigns(id),
			organisation_id        BIGINT NOT NULL REFERENCES organisations(id),
			year                   INTEGER NOT NULL,
			kind                   TEXT NOT NULL,
			jurisdiction           TEXT NOT NULL,
			deadline               TEXT NOT NULL,
			status                 TEXT NOT NULL,
			case_id                BIGINT REFERENCES cases(id),
			filed_at               {TIME},
			on_time                BOOLEAN,
			result                 TEXT NOT NULL DEFAULT '',
			rectification_deadline TEXT NOT NULL DEFAULT '',
			rectified_at           {TIME},
			reminded_at            {TIME},
			missed_at              {TIME},
			UNIQUE (organisation_id, year)
		)`,
		`CREATE INDEX annual_reports_campaign ON annual_reports (campaign_id, status)`,
		`CREATE INDEX annual_reports_due ON annual_reports (status, deadline)`,
		`CREATE INDEX annual_reports_case ON annual_reports (case_id)`,
	), statements(
		`DROP TABLE annual_reports`,
		`DROP TABLE annual_campaigns`,
	))
}
