package appointments_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// The fixture's jurisdictions: the office is in Heping district of Shenyang.
const (
	liaoning = "210000"
	shenyang = "210100"
	heping   = "210102"
)

// fixture is one stack with a desk, an engine over the built-in catalogue, an admin, a clerk and an
// office in Heping taking 10 marriage and 5 divorce bookings per 30-minute slot.
type fixture struct {
	t      *testing.T
	ctx    context.Context
	db     *bun.DB
	clock  *stacktest.Clock
	enf    *policies.Enforcer
	engine *workflow.Engine
	desk   *appointments.Desk
	admin  audit.Actor
	clerk  audit.Actor
	office *appointments.Office
}

// users numbers the fixture's logins, and people the ID numbers it makes, so that none repeats.
var users, people atomic.Int64

// t0 is Monday 2 November 2026, 09:00 in China: no holiday within the booking window.
var t0 = time.Date(2026, 11, 2, 9, 0, 0, 0, calendar.Zone)

func newFixture(t *testing.T, s *stacktest.Stack, start time.Time) *fixture {
	t.Helper()
	ctx := context.Background()
	f := &fixture{t: t, ctx: ctx, db: s.DB, clock: stacktest.NewClock(start)}
	for _, j := range []struct{ code, zh, en string }{{liaoning, "辽宁省", "Liaoning"}, {shenyang, "沈阳市", "Shenyang"}, {heping, "和平区", "Heping"}} {
		if err := jurisdictions.Add(ctx, s.DB, j.code, j.zh, j.en); err != nil {
			t.Fatal(err)
		}
	}
	admin := f.newUser(policies.Admin, "21*")
	clerk := f.newUser(policies.Acceptor, "2101*")
	enf, err := policies.New(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	f.enf, f.admin, f.clerk = enf, f.actor(admin), f.actor(clerk)
	cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Store(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	versions := func(ctx context.Context, hash string) (*catalog.Item, error) { return catalog.Version(ctx, s.DB, hash) }
	f.engine = workflow.New(s.DB, enf, versions, cat.Item, workflow.WithClock(f.clock.Now))
	f.desk = appointments.New(s.DB, enf, f.engine, cat.Items, appointments.WithClock(f.clock.Now))
	f.office, err = f.desk.CreateOffice(ctx, f.admin, officeInput())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func officeInput() appointments.OfficeInput {
	return appointments.OfficeInput{
		Jurisdiction: heping,
		Name:         lang.Text{ZH: "沈阳市和平区婚姻登记处", EN: "Heping District Marriage Registration Office"},
		Address:      lang.Text{ZH: "沈阳市和平区南京北街1号", EN: "1 Nanjing North Street, Heping, Shenyang"},
		Phone:        "024-12345678",
		Capacity:     map[appointments.Service]int{appointments.Marriage: 10, appointments.Divorce: 5},
		Sessions:     []appointments.Session{{Start: "09:00", End: "11:30"}, {Start: "13:30", End: "17:00"}},
		SlotMinutes:  30,
		Active:       true,
	}
}

// newUser inserts a user holding role in pattern (reload the enforcer to see grants made after New).
func (f *fixture) newUser(role, pattern string) int64 {
	f.t.Helper()
	n := users.Add(1)
	now := time.Now().UTC()
	u := &accounts.User{Login: fmt.Sprintf("user%d", n), Locale: "zh-CN", PasswordHash: "x",
		Phone: fmt.Sprintf("138%08d", n), CreatedAt: now, UpdatedAt: now}
	if _, err := f.db.NewInsert().Model(u).Exec(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	if err := policies.GrantSystem(f.ctx, f.db, u.ID, role, pattern); err != nil {
		f.t.Fatal(err)
	}
	return u.ID
}

// citizens adds n citizens and returns them as actors.
func (f *fixture) citizens(n int) []audit.Actor {
	f.t.Helper()
	out := make([]audit.Actor, n)
	for i := range out {
		out[i] = f.actor(f.newUser(policies.Citizen, "*"))
	}
	if err := f.enf.Reload(f.ctx); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) citizen() audit.Actor { return f.citizens(1)[0] }

func (f *fixture) actor(id int64) audit.Actor {
	return audit.Actor{UserID: id, Label: fmt.Sprintf("user:%d", id)}
}

// idNumber makes a valid resident ID number of a new person born on birth (YYYYMMDD).
func idNumber(birth string, male bool) string {
	n := people.Add(1)
	seq := (n * 2) % 1000
	if male {
		seq++
	}
	body := fmt.Sprintf("%04d01%s%03d", 1101+n/500, birth, seq)
	weights := []int{7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2}
	sum := 0
	for i, w := range weights {
		sum += int(body[i]-'0') * w
	}
	return body + string("10X98765432"[sum%11])
}

// couple is a marriage booking for a new man and woman, both of age, on day at start.
func (f *fixture) couple(day, start string) appointments.BookingInput {
	return appointments.BookingInput{OfficeID: f.office.ID, Service: appointments.Marriage, Day: day, Start: start,
		BookerName: "张伟", BookerIDNumber: idNumber("19950310", true), PartnerName: "李娜",
		PartnerIDNumber: idNumber("19970521", false), Phone: "13800138000"}
}

// day is the date n days after the clock's day, YYYY-MM-DD.
func (f *fixture) day(n int) string { return calendar.DateOf(f.clock.Now()).AddDays(n).String() }

// slots are the public slots of the fixture's office on day for a service.
func (f *fixture) slots(day string, s appointments.Service) (*appointments.DaySlots, error) {
	return f.desk.Slots(f.ctx, f.office.ID, day, s, 0, audit.Actor{})
}

// openDay is the first day the office opens from n days after the clock's day on, YYYY-MM-DD.
func (f *fixture) openDay(n int) string {
	f.t.Helper()
	for ; ; n++ {
		ds, err := f.slots(f.day(n), appointments.Marriage)
		if err != nil {
			f.t.Fatal(err)
		}
		if ds.Open {
			return ds.Day
		}
	}
}

// at sets the clock to a time of day in China on date (YYYY-MM-DD).
func (f *fixture) at(date string, hour, minute int) time.Time {
	d, err := calendar.ParseDate(date)
	if err != nil {
		f.t.Fatal(err)
	}
	now := d.Time().Add(time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)
	f.clock.Set(now)
	return now
}

func (f *fixture) book(actor audit.Actor, in appointments.BookingInput) *appointments.Booking {
	f.t.Helper()
	b, err := f.desk.Book(f.ctx, actor, in)
	if err != nil {
		f.t.Fatalf("booking: %v", err)
	}
	return b
}

// count returns the number of rows of table matching where.
func (f *fixture) count(table, where string, args ...any) int {
	f.t.Helper()
	n, err := f.db.NewSelect().TableExpr(table).Where(where, args...).Count(f.ctx)
	if err != nil {
		f.t.Fatal(err)
	}
	return int(n)
}

// booked returns the counter of a slot.
func (f *fixture) booked(day, start string, s appointments.Service) int {
	f.t.Helper()
	var n []int
	if err := f.db.NewSelect().Table("slot_counts").Column("booked").
		Where("office_id = ? AND day = ? AND start = ? AND service = ?", f.office.ID, day, start, s).Scan(f.ctx, &n); err != nil {
		f.t.Fatal(err)
	}
	if len(n) == 0 {
		return 0
	}
	return n[0]
}

// code returns the problem code of err, failing the test when err is no problem.
func code(t *testing.T, err error) string {
	t.Helper()
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("want a problem, got %v", err)
	}
	return p.Code
}

// fieldCodes returns the field errors of an Invalid problem as path → code.
func fieldCodes(t *testing.T, err error) map[string]string {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Kind != problem.Invalid {
		t.Fatalf("want an Invalid problem, got %v", err)
	}
	out := map[string]string{}
	for _, f := range p.Fields {
		out[f.Path] = f.Code
	}
	return out
}

// race sends n bookings at once, the i-th by actors[i] for inputs[i], and returns their errors.
func (f *fixture) race(actors []audit.Actor, inputs []appointments.BookingInput) []error {
	errs := make([]error, len(inputs))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range inputs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			_, errs[i] = f.desk.Book(f.ctx, actors[i], inputs[i])
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// won counts the bookings of a race that succeeded, failing the test when a loser got another
// answer than want.
func won(t *testing.T, errs []error, want string) int {
	t.Helper()
	ok := 0
	for _, err := range errs {
		if err == nil {
			ok++
		} else if c := code(t, err); c != want {
			t.Fatalf("a losing booking got %q (%v), want %q", c, err, want)
		}
	}
	return ok
}
