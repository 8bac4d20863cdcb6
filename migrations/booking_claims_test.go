package migrations_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/stacktest"
)

// Upgrading releases what strangers claimed under the old rules: only verified bookers keep their
// claim on a person, each account with active bookings holds one claim, and a ban moves to the
// account that earned it, keeping its ID number only when that account is verified for it.
func TestBookingClaimsMigration(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		migrateBefore(t, s.DB, "20261206000003")
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := s.DB.ExecContext(ctx, query, args...); err != nil {
				t.Fatalf("%s: %v", query, err)
			}
		}
		now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
		exec(`INSERT INTO jurisdictions (code, name_zh, created_at) VALUES ('210102', '和平区', ?)`, now)
		// Account 1 never checked in; account 2 is verified for Q.
		for id, number := range map[int]string{1: "", 2: "Q"} {
			exec(`INSERT INTO users (id, login, password_hash, id_number, created_at, updated_at) VALUES (?, ?, 'x', ?, ?, ?)`,
				id, fmt.Sprintf("user%d", id), number, now, now)
		}
		exec(`INSERT INTO offices (id, jurisdiction, name_zh, address_zh, capacity, sessions, slot_minutes, rules, created_at, updated_at)
			VALUES (1, '210102', '和平区婚姻登记处', '南京北街1号', '{}', '[]', 30, '{}', ?, ?)`, now, now)
		missed1, missed2 := now.Add(time.Hour), now.Add(2*time.Hour)
		for _, b := range []struct {
			id, user        int64
			booker, partner string
			status          string
			noShow          *time.Time
		}{
			{1, 1, "X", "P", "booked", nil},       // P typed as partner by a stranger
			{2, 2, "Q", "R", "booked", nil},       // a verified booker
			{3, 1, "P", "S", "no_show", &missed1}, // P typed as booker by a stranger, who missed it
			{4, 2, "Q", "T", "no_show", &missed2},
		} {
			exec(`INSERT INTO bookings (id, code, office_id, service, day, start, end_time, user_id, booker_name, booker_id_number,
				partner_name, partner_id_number, phone, status, created_at, updated_at, no_show_at)
				VALUES (?, ?, 1, 'marriage', '2026-11-04', '09:00', '09:30', ?, '甲', ?, '乙', ?, '13800000000', ?, ?, ?, ?)`,
				b.id, fmt.Sprintf("CODE%04d", b.id), b.user, b.booker, b.partner, b.status, now, now, b.noShow)
		}
		for number, booking := range map[string]int{"X": 1, "P": 1, "Q": 2, "R": 2} {
			exec(`INSERT INTO active_people (id_number, booking_id) VALUES (?, ?)`, number, booking)
		}
		for number, at := range map[string]time.Time{"P": missed1, "Q": missed2} {
			exec(`INSERT INTO booking_bans (id_number, reason, count, until, created_at) VALUES (?, 'no_shows', 2, '2027-05-01', ?)`, number, at)
		}

		if _, err := migrations.Up(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		var people []struct {
			IDNumber  string
			BookingID int64
		}
		if err := s.DB.NewSelect().Table("active_people").Column("id_number", "booking_id").Scan(ctx, &people); err != nil {
			t.Fatal(err)
		}
		if len(people) != 1 || people[0].IDNumber != "Q" || people[0].BookingID != 2 {
			t.Errorf("people claimed after the upgrade: %+v, want only the verified booker Q", people)
		}
		var accounts []struct{ UserID, BookingID int64 }
		if err := s.DB.NewSelect().Table("active_accounts").Column("user_id", "booking_id").OrderExpr("user_id").Scan(ctx, &accounts); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(accounts) != "[{1 1} {2 2}]" {
			t.Errorf("accounts claimed after the upgrade: %v", accounts)
		}
		var bans []struct {
			UserID   int64
			IDNumber string
		}
		if err := s.DB.NewSelect().Table("booking_bans").Column("user_id", "id_number").OrderExpr("user_id").Scan(ctx, &bans); err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(bans) != "[{1 } {2 Q}]" {
			t.Errorf("bans after the upgrade: %+v, want the stranger's without P's number and the verified account's with Q's", bans)
		}
	})
}
