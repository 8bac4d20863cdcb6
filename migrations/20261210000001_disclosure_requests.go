package migrations

// Requests for government information (依申请公开, 政府信息公开条例 2019): one row per request, whatever
// the channel it came by, with what the annual disclosure report (国办公开办函〔2021〕30号) counts: the
// applicant's column, the day it was received (art. 31) and, once it ends, the day and the outcome (a
// row of the report's table). Dates are YYYY-MM-DD in China. The request is a case of the
// information-disclosure item; the row is written by that item's effects, in the case's transactions.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE disclosure_requests (
			case_id        BIGINT PRIMARY KEY REFERENCES cases(id),
			jurisdiction   TEXT NOT NULL,
			applicant_type TEXT NOT NULL,
			applicant_key  TEXT NOT NULL,
			channel        TEXT NOT NULL,
			received_on    TEXT NOT NULL,
			closed_on      TEXT,
			outcome        TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX disclosure_requests_received ON disclosure_requests (jurisdiction, received_on)`,
		`CREATE INDEX disclosure_requests_closed ON disclosure_requests (jurisdiction, closed_on)`,
		`CREATE INDEX disclosure_requests_applicant ON disclosure_requests (applicant_key, received_on)`,
	), statements(
		`DROP TABLE disclosure_requests`,
	))
}
