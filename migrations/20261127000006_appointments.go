package migrations

// Marriage registration appointments: each account's resident ID number (bound at its first booking),
// the registration offices with their exceptional days, the seat counters of the slots, the bookings,
// the people holding an active booking and the booking bans. Days are 'YYYY-MM-DD' and times of day
// 'HH:MM' in China, stored as text so that neither database shifts them.
//
// Two tables carry the concurrency rules: slot_counts has one counter per slot and service that a
// booking raises with a conditional UPDATE (booked < capacity), and active_people holds each ID
// number with an active booking once (its primary key), so that racing requests can neither overfill
// a slot nor give one person two bookings.
func init() {
	all.MustRegister(statements(
		`ALTER TABLE users ADD COLUMN id_number TEXT NOT NULL DEFAULT ''`,
		`CREATE UNIQUE INDEX users_id_number ON users (id_number) WHERE id_number <> ''`,
		`CREATE TABLE offices (
			id           {ID},
			jurisdiction TEXT NOT NULL REFERENCES jurisdictions(code),
			name_zh      TEXT NOT NULL,
			name_en      TEXT NOT NULL DEFAULT '',
			address_zh   TEXT NOT NULL,
			address_en   TEXT NOT NULL DEFAULT '',
			phone        TEXT NOT NULL DEFAULT '',
			capacity     {JSON} NOT NULL,
			sessions     {JSON} NOT NULL,
			slot_minutes INTEGER NOT NULL CHECK (slot_minutes BETWEEN 5 AND 240),
			rules        {JSON} NOT NULL,
			active       BOOLEAN NOT NULL DEFAULT TRUE,
			created_at   {TIME} NOT NULL,
			updated_at   {TIME} NOT NULL
		)`,
		`CREATE INDEX offices_jurisdiction ON offices (jurisdiction)`,
		`CREATE TABLE office_days (
			id        {ID},
			office_id BIGINT NOT NULL REFERENCES offices(id),
			day       TEXT NOT NULL CHECK (day LIKE '____-__-__'),
			kind      TEXT NOT NULL CHECK (kind IN ('closed', 'open')),
			sessions  {JSON},
			note      TEXT NOT NULL DEFAULT '',
			UNIQUE (office_id, day)
		)`,
		`CREATE TABLE slot_counts (
			office_id BIGINT NOT NULL REFERENCES offices(id),
			day       TEXT NOT NULL,
			start     TEXT NOT NULL,
			service   TEXT NOT NULL,
			booked    INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
			PRIMARY KEY (office_id, day, start, service)
		)`,
		`CREATE TABLE bookings (
			id                {ID},
			code              TEXT NOT NULL UNIQUE,
			office_id         BIGINT NOT NULL REFERENCES offices(id),
			service           TEXT NOT NULL,
			day               TEXT NOT NULL,
			start             TEXT NOT NULL,
			end_time          TEXT NOT NULL,
			user_id           BIGINT NOT NULL REFERENCES users(id),
			booker_name       TEXT NOT NULL,
			booker_id_number  TEXT NOT NULL,
			partner_name      TEXT NOT NULL,
			partner_id_number TEXT NOT NULL,
			phone             TEXT NOT NULL,
			case_id           BIGINT REFERENCES cases(id),
			status            TEXT NOT NULL CHECK (status IN ('booked', 'cancelled', 'checked_in', 'no_show')),
			created_at        {TIME} NOT NULL,
			updated_at        {TIME} NOT NULL,
			cancelled_at      {TIME},
			checked_in_at     {TIME},
			no_show_at        {TIME},
			reminder_sent_at  {TIME}
		)`,
		`CREATE INDEX bookings_office_day ON bookings (office_id, day, start)`,
		`CREATE INDEX bookings_user ON bookings (user_id, created_at)`,
		`CREATE INDEX bookings_status_day ON bookings (status, day)`,
		`CREATE INDEX bookings_booker ON bookings (booker_id_number, status)`,
		`CREATE INDEX bookings_partner ON bookings (partner_id_number, status)`,
		`CREATE INDEX bookings_case ON bookings (case_id)`,
		`CREATE TABLE active_people (
			id_number  TEXT PRIMARY KEY,
			booking_id BIGINT NOT NULL
		)`,
		`CREATE TABLE booking_bans (
			id         {ID},
			id_number  TEXT NOT NULL,
			reason     TEXT NOT NULL CHECK (reason IN ('no_shows', 'cancellations', 'recent_cancellations')),
			count      INTEGER NOT NULL,
			until      TEXT NOT NULL,
			created_at {TIME} NOT NULL
		)`,
		`CREATE INDEX booking_bans_id_number ON booking_bans (id_number, until)`,
	), statements(
		`DROP TABLE booking_bans`,
		`DROP TABLE active_people`,
		`DROP TABLE bookings`,
		`DROP TABLE slot_counts`,
		`DROP TABLE office_days`,
		`DROP TABLE offices`,
		`DROP INDEX users_id_number`,
		`ALTER TABLE users DROP COLUMN id_number`,
	))
}
