package appointments

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/sync/singleflight"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// Desk is the booking desk: every operation on offices and bookings. It is safe for concurrent use;
// every process builds its own.
type Desk struct {
	db     *bun.DB
	enf    *policies.Enforcer
	engine *workflow.Engine
	all    func() []*catalog.Item
	clock  func() time.Time

	plans sync.Map // office ID → *plan, for the public slot pages
	full  sync.Map // slotKey → time.Time this process last saw the slot full (see fullMemo)
	seats sync.Map // slotKey without start → seatsSeen, for the public slot answers (see seatsMemo)
	// flight shares the reads of plans and seats among the requests that miss them at once.
	flight singleflight.Group
}

// Option changes how New builds a desk.
type Option func(*Desk)

// WithClock replaces the wall clock, so that tests can move time.
func WithClock(now func() time.Time) Option { return func(d *Desk) { d.clock = now } }

// New returns the desk over db. all lists the current catalogue's items; the desk finds in it the
// item of a service (the one whose appointment.service is that service).
func New(db *bun.DB, enf *policies.Enforcer, engine *workflow.Engine, all func() []*catalog.Item, opts ...Option) *Desk {
	d := &Desk{db: db, enf: enf, engine: engine, all: all, clock: time.Now}
	for _, o := range opts {
		o(d)
	}
	return d
}

// now is the desk's clock in UTC, cut to microseconds as both databases store it.
func (d *Desk) now() time.Time { return d.clock().UTC().Truncate(time.Microsecond) }

// Today is the desk's current day in China, from which the booking rules count.
func (d *Desk) Today() calendar.Date { return calendar.DateOf(d.clock()) }

// ItemFor returns the catalogue item of a service: the one whose appointment.service it is.
func (d *Desk) ItemFor(s Service) (*catalog.Item, bool) {
	for _, it := range d.all() {
		if it.Appointment != nil && it.Appointment.Service == string(s) {
			return it, true
		}
	}
	return nil, false
}

// allowed reports whether the actor may act on obj in the office's jurisdiction.
func (d *Desk) allowed(actor audit.Actor, jurisdiction, obj, act string) bool {
	return actor.UserID > 0 && d.enf.Allowed(actor.UserID, jurisdiction, obj, act)
}

// codeAlphabet are the characters of confirmation codes: digits and capitals without 0, 1, I and O,
// which people misread at the window; 32 of them, so that each character is 5 random bits.
const codeAlphabet = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"

// newCode returns a random confirmation code of 8 characters (40 bits): guessing another
// person's booking is hopeless, and a collision, which the unique constraint would refuse, is
// practically impossible.
func newCode() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	for i := range b {
		b[i] = codeAlphabet[b[i]&31]
	}
	return string(b)
}

// send writes a notification about a booking to userID in tx, naming the office and the service in
// the recipient's language; extra adds to the template's data, its lang.Text values in that language.
func (d *Desk) send(ctx context.Context, tx bun.IDB, userID int64, template string, o *Office, b *Booking,
	channels []notify.Channel, extra map[string]any) error {
	var locale string
	if err := tx.NewSelect().Table("users").Column("locale").Where("id = ?", userID).Scan(ctx, &locale); err != nil {
		return fmt.Errorf("reading the locale of user %d: %w", userID, err)
	}
	data, phone := map[string]any{}, ""
	if b != nil {
		data = map[string]any{"office_name": o.Name.In(locale), "service_name": b.Service.Label(locale),
			"day": b.Day, "start": b.Start, "end": b.End, "code": b.Code}
		phone = b.Phone // the SMS goes to the number the booking was made with
	}
	for k, v := range extra {
		if t, ok := v.(lang.Text); ok {
			v = t.In(locale)
		}
		data[k] = v
	}
	return notify.Send(ctx, tx, notify.Message{UserID: userID, Template: template, Data: data, Channels: channels, Phone: phone})
}

// record writes the audit entry of a change to a booking.
func record(ctx context.Context, tx bun.IDB, actor audit.Actor, action string, o *Office, b *Booking, detail map[string]any) error {
	if detail == nil {
		detail = map[string]any{}
	}
	detail["code"], detail["office_id"], detail["day"], detail["start"] = b.Code, b.OfficeID, b.Day, b.Start
	return audit.Record(ctx, tx, actor, action, "booking", strconv.FormatInt(b.ID, 10), o.Jurisdiction, detail)
}

// errNotBooked is the answer to changing a booking that is no longer booked.
var errNotBooked = problem.New(problem.Conflict, "not_booked", "该预约已取消、已办理或已记为爽约。",
	"This appointment has been cancelled, checked in or marked as missed.")
