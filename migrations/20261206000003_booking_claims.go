package migrations

// Booking claims that no stranger can make: until now every ID number named on an active booking,
// the partner's too, was held in active_people, and bans were keyed by the booker's ID number, so
// that typing someone's number blocked or banned her. From here on:
//   - active_people holds only the ID numbers of verified bookers (the booker's number is the one
//     bound to the booking's account); the other rows are released;
//   - active_accounts holds each account with an active booking once (its primary key). An account
//     that already holds several keeps them; the one recorded here is the earliest;
//   - account_days counts the bookings each account makes on a day (China's date), raised with a
//     conditional UPDATE up to the office's daily_bookings;
//   - a ban belongs to the account that earned it (booking_bans.user_id: the account of the booking
//     whose no-show or cancellation set it off) and keeps its ID number only when that account is
//     verified for it.
func init() {
	all.MustRegister(statements(
		`DELETE FROM active_people WHERE NOT EXISTS (
			SELECT 1 FROM bookings b JOIN users u ON u.id = b.user_id
			WHERE b.id = active_people.booking_id AND b.booker_id_number = active_people.id_number
			  AND u.id_number = active_people.id_number)`,
		`CREATE TABLE active_accounts (
			user_id    BIGINT PRIMARY KEY REFERENCES users(id),
			booking_id BIGINT NOT NULL
		)`,
		`INSERT INTO active_accounts (user_id, booking_id)
			SELECT user_id, MIN(id) FROM bookings WHERE status = 'booked' GROUP BY user_id`,
		`CREATE TABLE account_days (
			user_id BIGINT NOT NULL REFERENCES users(id),
			day     TEXT NOT NULL,
			booked  INTEGER NOT NULL DEFAULT 0 CHECK (booked >= 0),
			PRIMARY KEY (user_id, day)
		)`,
		`ALTER TABLE booking_bans ADD COLUMN user_id BIGINT REFERENCES users(id)`,
		`UPDATE booking_bans SET user_id = (
			SELECT b.user_id FROM bookings b
			WHERE b.booker_id_number = booking_bans.id_number
			  AND (b.no_show_at = booking_bans.created_at OR b.cancelled_at = booking_bans.created_at)
			ORDER BY b.id DESC LIMIT 1)`,
		`DELETE FROM booking_bans WHERE user_id IS NULL`,
		`UPDATE booking_bans SET id_number = '' WHERE NOT EXISTS (
			SELECT 1 FROM users u WHERE u.id = booking_bans.user_id AND u.id_number = booking_bans.id_number)`,
		`CREATE INDEX booking_bans_user ON booking_bans (user_id, until)`,
	), statements(
		`DROP INDEX booking_bans_user`,
		`ALTER TABLE booking_bans DROP COLUMN user_id`,
		`DROP TABLE account_days`,
		`DROP TABLE active_accounts`,
	))
}
