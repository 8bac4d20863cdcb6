package migrations

// The legal clock: time limits running on cases (with their pauses and the notices they caused) and
// durable timers that take automatic actions. Dates of the clock are civil dates in Asia/Shanghai,
// stored as 'YYYY-MM-DD' text so that neither database shifts them.
func init() {
	all.MustRegister(statements(
		`CREATE TABLE case_clocks (
			id             {ID},
			case_id        BIGINT NOT NULL REFERENCES cases(id),
			clock          TEXT NOT NULL,
			status         TEXT NOT NULL CHECK (status IN ('running', 'paused', 'stopped')),
			started_on     TEXT NOT NULL,
			statutory_due  TEXT NOT NULL DEFAULT '',
			promised_due   TEXT NOT NULL DEFAULT '',
			paused_on      TEXT NOT NULL DEFAULT '',
			stopped_on     TEXT NOT NULL DEFAULT '',
			extended_days  INTEGER NOT NULL DEFAULT 0,
			UNIQUE (case_id, clock, started_on)
		)`,
		`CREATE INDEX case_clocks_status ON case_clocks (status, statutory_due)`,
		`CREATE TABLE case_pauses (
			id         {ID},
			clock_id   BIGINT NOT NULL REFERENCES case_clocks(id),
			state      TEXT NOT NULL,
			paused_on  TEXT NOT NULL,
			resumed_on TEXT NOT NULL DEFAULT ''
		)`,
		`CREATE INDEX case_pauses_clock ON case_pauses (clock_id)`,
		`CREATE TABLE clock_notices (
			id       {ID},
			clock_id BIGINT NOT NULL REFERENCES case_clocks(id),
			kind     TEXT NOT NULL,
			sent_at  {TIME} NOT NULL,
			UNIQUE (clock_id, kind)
		)`,
		`CREATE TABLE timers (
			id           {ID},
			case_id      BIGINT NOT NULL REFERENCES cases(id),
			state        TEXT NOT NULL,
			action       TEXT NOT NULL,
			due_at       {TIME} NOT NULL,
			created_at   {TIME} NOT NULL,
			fired_at     {TIME},
			cancelled_at {TIME}
		)`,
		`CREATE INDEX timers_due ON timers (due_at)`,
		`CREATE INDEX timers_case ON timers (case_id)`,
	), statements(
		`DROP TABLE timers`,
		`DROP TABLE clock_notices`,
		`DROP TABLE case_pauses`,
		`DROP TABLE case_clocks`,
	))
}
