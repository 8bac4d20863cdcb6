// Package appointments books citizens into the registration offices' opening hours (婚姻登记预约):
// offices and their rules, free slots computed from those rules, bookings that never exceed the
// seats, check-in at the window, no-shows, the booking ban, reminders and iCalendar files. Pages, the
// API, the CLI and the worker all call the functions of this package; every rule lives here.
//
// What a booking guarantees, under any concurrency on both databases, each decided in the booking's
// one transaction by a conditional upsert or a primary key:
//   - never more bookings than seats: the slot's counter rises with one conditional upsert
//     (booked < capacity);
//   - one active booking per account: the account's row in active_accounts;
//   - one active booking per verified person: the booker's ID number in active_people, claimed only
//     by the account verified for that number (users.id_number: bound at the window's check-in, or by
//     the identity platform). A number typed without that verification, the partner's always, claims
//     nothing: anyone can type anyone's number, so it must never keep the person herself from booking.
//     Such unverified namings coexist, and the day sheet counts for each person of a booking the
//     other bookings naming her, for the clerk to look at;
//   - at most Rules.DailyBookings bookings made per account a day: a counter per account and day with
//     one conditional upsert.
//
// A ban follows whoever earned it: the no-shows and cancellations of an account's bookings ban that
// account, and also the booker's ID number only when the account was verified for it; a ban on a
// verified person keeps her from booking, and from being named as partner, from any account.
package appointments

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/lang"
)

// Service is a kind of business an office books: 结婚登记, 离婚登记, 补领婚姻登记证.
type Service string

// The services an office can offer.
const (
	Marriage    Service = "marriage"
	Divorce     Service = "divorce"
	Replacement Service = "replacement"
)

// Services lists every service in the order pages show them.
var Services = []Service{Marriage, Divorce, Replacement}

// serviceNames are the services' names as offices and pages say them.
var serviceNames = map[Service]lang.Text{
	Marriage:    {ZH: "结婚登记", EN: "Marriage registration"},
	Divorce:     {ZH: "离婚登记", EN: "Divorce registration"},
	Replacement: {ZH: "补领婚姻登记证", EN: "Replacement of a marriage certificate"},
}

// Label is the service's name in the locale ("en" or Chinese), or the code of an unknown service.
func (s Service) Label(locale string) string {
	if t, ok := serviceNames[s]; ok {
		return t.In(locale)
	}
	return string(s)
}

// known reports whether s is one of Services.
func (s Service) known() bool {
	_, ok := serviceNames[s]
	return ok
}

// Session is one stretch of opening hours, "09:00"–"11:30" in China's time, cut into slots of the
// office's SlotMinutes (the last slot ends at End or before).
type Session struct {
	Start string `json:"start"` // HH:MM
	End   string `json:"end"`   // HH:MM
}

// Rules are an office's booking rules. Zero values are replaced by DefaultRules' (domain.md §3).
type Rules struct {
	MinDaysAhead      int `json:"min_days_ahead"`      // 1: book at least one day ahead
	MaxDaysAhead      int `json:"max_days_ahead"`      // 30: for a date within the next 30 days
	ChangeCutoffDays  int `json:"change_cutoff_days"`  // 2: cancel or move at least 2 days before
	NoShowLimit       int `json:"no_show_limit"`       // 2 no-shows …
	CancelLimit       int `json:"cancel_limit"`        // … or 5 cancellations …
	LookbackDays      int `json:"lookback_days"`       // … within 180 days
	ShortCancelLimit  int `json:"short_cancel_limit"`  // or 3 cancellations …
	ShortLookbackDays int `json:"short_lookback_days"` // … within 30 days
	BanDays           int `json:"ban_days"`            // → no booking for 180 days
	DailyBookings     int `json:"daily_bookings"`      // 2: an account makes at most 2 bookings a day
}

// DefaultRules are the numbers of the Guangdong practice (domain.md §3).
var DefaultRules = Rules{MinDaysAhead: 1, MaxDaysAhead: 30, ChangeCutoffDays: 2, NoShowLimit: 2, CancelLimit: 5,
	LookbackDays: 180, ShortCancelLimit: 3, ShortLookbackDays: 30, BanDays: 180, DailyBookings: 2}

// Office is a marriage registration office (婚姻登记处) of a jurisdiction, a row of table offices.
type Office struct {
	ID           int64     `json:"id"`
	Jurisdiction string    `json:"jurisdiction"`
	Name         lang.Text `json:"name"`
	Address      lang.Text `json:"address"`
	Phone        string    `json:"phone"`
	// Capacity is the number of seats of one slot, by service; a service absent or 0 is not offered.
	Capacity    map[Service]int `json:"capacity"`
	Sessions    []Session       `json:"sessions"`     // on every working day of the jurisdiction
	SlotMinutes int             `json:"slot_minutes"` // length of a slot, 5–240
	Rules       Rules           `json:"rules"`
	Active      bool            `json:"active"` // an inactive office takes no new bookings
	CreatedAt   time.Time       `json:"created_at"`
	UpdatedAt   time.Time       `json:"updated_at"`
}

// Offered lists the services the office takes bookings for (a capacity above 0), in the order of
// Services.
func (o *Office) Offered() []Service {
	var out []Service
	for _, sv := range Services {
		if o.Capacity[sv] > 0 {
			out = append(out, sv)
		}
	}
	return out
}

// OfficeInput is what an admin enters to create or change an office.
type OfficeInput struct {
	Jurisdiction string          `json:"jurisdiction"`
	Name         lang.Text       `json:"name"`
	Address      lang.Text       `json:"address"`
	Phone        string          `json:"phone"`
	Capacity     map[Service]int `json:"capacity"`
	Sessions     []Session       `json:"sessions"`
	SlotMinutes  int             `json:"slot_minutes"`
	Rules        Rules           `json:"rules"` // zero fields take the defaults
	Active       bool            `json:"active"`
}

// The kinds of an office day: closed on a day it would open, or open (with its own sessions) on a day
// it would not, or with other sessions than usual (an extra session on 5-20).
const (
	DayClosed = "closed"
	DayOpen   = "open"
)

// OfficeDay is an exception to an office's usual opening for one date, a row of table office_days.
type OfficeDay struct {
	bun.BaseModel `bun:"table:office_days,alias:od"`

	OfficeID int64     `json:"office_id"`
	Day      string    `json:"day"`  // YYYY-MM-DD
	Kind     string    `json:"kind"` // closed or open
	Sessions []Session `bun:",nullzero" json:"sessions,omitempty"`
	Note     string    `json:"note,omitempty"`
}

// Slot is one bookable time of an office on a day for a service, with its free seats.
type Slot struct {
	Start    string `json:"start"` // HH:MM
	End      string `json:"end"`
	Capacity int    `json:"capacity"`
	Free     int    `json:"free"`
	// Bookable is false for a full slot and for every slot of a day outside the booking window.
	Bookable bool `json:"bookable"`
}

// DayFree is one day of the booking window for a date picker: whether the office opens and how many
// seats of the service are still free that day.
type DayFree struct {
	Day  string `json:"day"`
	Open bool   `json:"open"`
	Free int    `json:"free"`
	// ChangeableOnline is false for a day within the office's change cut-off: a booking made for it
	// today can never be moved or cancelled online, which the booker must know before booking.
	ChangeableOnline bool `json:"changeable_online"`
}

// DaySlots is the answer of Slots: whether the office is open that day and its slots for a service.
type DaySlots struct {
	OfficeID int64   `json:"office_id"`
	Day      string  `json:"day"`
	Service  Service `json:"service"`
	Open     bool    `json:"open"`
	// Bookable says whether the day is inside the booking window (and, for a case's confirmation
	// booking, inside the case's window).
	Bookable bool `json:"bookable"`
	// ChangeableOnline is false for a day within the office's change cut-off (see DayFree).
	ChangeableOnline bool   `json:"changeable_online"`
	Slots            []Slot `json:"slots"`
}

// Booking statuses.
const (
	StatusBooked    = "booked"
	StatusCancelled = "cancelled"
	StatusCheckedIn = "checked_in"
	StatusNoShow    = "no_show"
)

// Booking is one appointment, a row of table bookings.
type Booking struct {
	bun.BaseModel `bun:"table:bookings,alias:b"`

	ID       int64   `bun:",pk,autoincrement" json:"id"`
	Code     string  `json:"code"` // confirmation code shown at the window, 8 characters
	OfficeID int64   `json:"office_id"`
	Service  Service `json:"service"`
	Day      string  `json:"day"` // YYYY-MM-DD
	Start    string  `json:"start"`
	End      string  `bun:"end_time" json:"end"`
	UserID   int64   `json:"user_id"` // the account that booked
	// The two people: the booker (the account's own resident ID number) and the partner.
	BookerName      string     `json:"booker_name"`
	BookerIDNumber  string     `json:"booker_id_number"`
	PartnerName     string     `json:"partner_name"`
	PartnerIDNumber string     `json:"partner_id_number"`
	Phone           string     `json:"phone"`
	CaseID          *int64     `json:"case_id,omitempty"` // the divorce case this booking confirms, or the case opened from it
	Status          string     `json:"status"`
	CreatedAt       time.Time  `json:"created_at"`
	UpdatedAt       time.Time  `json:"updated_at"`
	CancelledAt     *time.Time `json:"cancelled_at,omitempty"`
	CheckedInAt     *time.Time `json:"checked_in_at,omitempty"`
	NoShowAt        *time.Time `json:"no_show_at,omitempty"`
	ReminderSentAt  *time.Time `json:"reminder_sent_at,omitempty"`
}

// BookingInput is what a citizen enters to book.
type BookingInput struct {
	OfficeID        int64   `json:"office_id"`
	Service         Service `json:"service"`
	Day             string  `json:"day"`
	Start           string  `json:"start"`
	BookerName      string  `json:"booker_name"`
	BookerIDNumber  string  `json:"booker_id_number"`
	PartnerName     string  `json:"partner_name"`
	PartnerIDNumber string  `json:"partner_id_number"`
	Phone           string  `json:"phone"`
	// CaseID books the confirmation appearance of a divorce case in its confirmation window.
	CaseID int64 `json:"case_id,omitempty"`
}

// Ban is a stop on booking for the account that earned it and, when that account was verified for
// its booker's ID number, for that person, a row of table booking_bans.
type Ban struct {
	bun.BaseModel `bun:"table:booking_bans,alias:bb"`

	UserID    int64     `json:"-"`
	IDNumber  string    `json:"-"`      // the verified person's, or ""
	Reason    string    `json:"reason"` // no_shows, cancellations or recent_cancellations
	Count     int       `json:"count"`
	Until     string    `json:"until"` // last day of the ban, YYYY-MM-DD
	CreatedAt time.Time `json:"created_at"`
}

// CheckInInput finds a booking at the window, by its code or by one of the ID numbers, and names the
// ID numbers of the people present, which must be the booking's two people.
type CheckInInput struct {
	Code     string   `json:"code"`
	IDNumber string   `json:"id_number"`
	Present  []string `json:"present"` // ID numbers read from the cards at the window
	Service  Service  `json:"service"` // the business asked for at the window
	Day      string   `json:"day"`     // the office day checked in (default today)
}

// SheetLine is one booking on an office's day sheet.
type SheetLine struct {
	Booking
	Session    int        `json:"session"` // index into the day's sessions
	SamePerson SamePerson `json:"same_person"`
}

// SamePerson counts, for each person of a booking, the other bookings that name her ID number too (as
// booker or partner): those still booked, at any office, and those on the same day sheet. Anyone can
// type anyone's number, so at most one of them is hers: the clerk checks the ID cards.
type SamePerson struct {
	Booker  int `json:"booker"`
	Partner int `json:"partner"`
}

// DaySheet is what an office expects on a day: its sessions and the bookings in each.
type DaySheet struct {
	Office   Office      `json:"office"`
	Day      string      `json:"day"`
	Open     bool        `json:"open"`
	Sessions []Session   `json:"sessions"`
	Lines    []SheetLine `json:"lines"`
}
