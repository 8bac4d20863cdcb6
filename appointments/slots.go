package appointments

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/problem"
)

// window is a span of days, both ends included.
type window struct{ from, to calendar.Date }

func (w window) contains(d calendar.Date) bool { return !d.Before(w.from) && !d.After(w.to) }

// intersect returns the days both windows contain (from after to when none).
func (w window) intersect(v window) window {
	if v.from.After(w.from) {
		w.from = v.from
	}
	if v.to.Before(w.to) {
		w.to = v.to
	}
	return w
}

// bookingWindow is the span of days the office takes bookings for on today.
func (r Rules) bookingWindow(today calendar.Date) window {
	return window{today.AddDays(r.MinDaysAhead), today.AddDays(r.MaxDaysAhead)}
}

// changeableOnline reports whether a booking made on today for day could still be moved or cancelled
// online: day is not within the change cut-off.
func (r Rules) changeableOnline(today, day calendar.Date) bool {
	return checkCutoff(r, today, day.String()) == nil
}

// window is the span of days a booking at the office of p can be made for today: the booking window
// and, for a case's confirmation booking (caseID > 0, by a party of the case at an office of its
// jurisdiction), the case's window too.
func (d *Desk) window(ctx context.Context, p *plan, caseID int64, actor audit.Actor) (window, error) {
	w := p.office.Rules.bookingWindow(d.Today())
	if caseID == 0 {
		return w, nil
	}
	c, _, ap, err := d.partyCase(ctx, actor, caseID)
	if err != nil {
		return window{}, err
	}
	var fe problem.Fields
	if checkCaseOffice(&fe, c, &p.office); fe.Err() != nil {
		return window{}, fe.Err()
	}
	cw, err := d.caseWindow(ctx, c, ap)
	if err != nil {
		return window{}, err
	}
	return w.intersect(cw), nil
}

// slotKey names one counter of table slot_counts.
type slotKey struct {
	office  int64
	day     string
	start   string
	service Service
}

// less orders the counters of one office and service as the database's key does.
func (k slotKey) less(o slotKey) bool { return k.day < o.day || k.day == o.day && k.start < o.start }

// bookedOn returns the seats taken on an office's days from from to to for a service, by day and
// slot start.
func bookedOn(ctx context.Context, db bun.IDB, officeID int64, service Service, from, to string) (map[string]map[string]int, error) {
	var rows []struct {
		Day    string
		Start  string
		Booked int
	}
	if err := db.NewSelect().Table("slot_counts").Column("day", "start", "booked").
		Where("office_id = ? AND service = ? AND day BETWEEN ? AND ?", officeID, service, from, to).
		Scan(ctx, &rows); err != nil {
		return nil, fmt.Errorf("reading the seats taken at office %d: %w", officeID, err)
	}
	out := map[string]map[string]int{}
	for _, r := range rows {
		if out[r.Day] == nil {
			out[r.Day] = map[string]int{}
		}
		out[r.Day][r.Start] = r.Booked
	}
	return out, nil
}

// daySlots returns the slots of the office on day for the service with their free seats.
func (p *plan) daySlots(day calendar.Date, service Service, booked map[string]int) (bool, []Slot) {
	open, sessions := p.opening(day)
	if !open {
		return false, []Slot{}
	}
	capacity := p.office.Capacity[service]
	out := []Slot{}
	for _, s := range cut(sessions, p.office.SlotMinutes) {
		out = append(out, Slot{Start: s.Start, End: s.End, Capacity: capacity, Free: max(0, capacity-booked[s.Start])})
	}
	return true, out
}

// checkService adds not_bookable on "service" unless the office offers the service.
func (p *plan) checkService(fe *problem.Fields, service Service) {
	if p.office.Capacity[service] <= 0 {
		fe.Add("service", "not_bookable", "该登记处不办理此项业务的预约。", "This office does not take bookings for this service.")
	}
}

// Slots returns the slots of an office on day for a service with their free seats (public, no
// login): the office's plan is cached, so it costs one small query. For a case's confirmation booking
// (caseID > 0, see BookableDays) only the days of the case's window are bookable.
func (d *Desk) Slots(ctx context.Context, officeID int64, day string, service Service, caseID int64, actor audit.Actor) (*DaySlots, error) {
	p, err := d.cachedPlan(ctx, d.db, officeID)
	if err != nil {
		return nil, err
	}
	var fe problem.Fields
	date, err := calendar.ParseDate(day)
	if err != nil {
		fe.Add("day", "invalid_date", "请按 YYYY-MM-DD 填写日期。", "Write the date as YYYY-MM-DD.")
	}
	p.checkService(&fe, service)
	if err := fe.Err(); err != nil {
		return nil, err
	}
	w, err := d.window(ctx, p, caseID, actor)
	if err != nil {
		return nil, err
	}
	// Only the days of the booking window are remembered: anyone may ask about any date.
	today := d.Today()
	memo := p.office.Rules.bookingWindow(today).contains(date)
	booked, err := d.recentlyBooked(ctx, slotKey{office: officeID, day: day, service: service}, memo)
	if err != nil {
		return nil, err
	}
	ds := &DaySlots{OfficeID: officeID, Day: day, Service: service, ChangeableOnline: p.office.Rules.changeableOnline(today, date)}
	ds.Open, ds.Slots = p.daySlots(date, service, booked)
	ds.Bookable = p.office.Active && ds.Open && w.contains(date)
	for i, sl := range ds.Slots {
		if d.seenFull(slotKey{officeID, day, sl.Start, service}) {
			ds.Slots[i].Free = 0 // fresher than the seats remembered for the day
		}
		ds.Slots[i].Bookable = ds.Bookable && ds.Slots[i].Free > 0
	}
	return ds, nil
}

// seatsMemo is how long a process reuses the seats taken on an office's day for the public slot
// answers, which proxies may keep for longer anyway (max-age=5): on a hot day thousands of people
// refresh them every second, and the booking itself never trusts them. Once older, they are still
// the answer while one request reads them again, up to seatsStale: on a hot day that read waits for
// a connection behind the bookings, and the people refreshing should not wait with it.
const (
	seatsMemo  = time.Second
	seatsStale = 10 * time.Second
)

// seatsSeen are the seats taken on one office day for one service, as read at a moment.
type seatsSeen struct {
	at     time.Time
	booked map[string]int // by slot start
}

// recentlyBooked returns the seats taken on the day of k (whose start is ignored) by slot start, as
// read at most seatsMemo ago, or at most seatsStale ago while a fresh read is under way; memo says
// whether to remember what it reads. Callers that need a read at the same moment share one.
func (d *Desk) recentlyBooked(ctx context.Context, k slotKey, memo bool) (map[string]int, error) {
	k.start = ""
	v, seen := d.seats.Load(k)
	if seen && time.Since(v.(seatsSeen).at) < seatsMemo {
		return v.(seatsSeen).booked, nil
	}
	// The read is shared, so no one caller's leaving cancels it; it has a deadline of its own.
	read := func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), seatsStale)
		defer cancel()
		booked, err := bookedOn(ctx, d.db, k.office, k.service, k.day, k.day)
		if err != nil {
			return nil, err
		}
		if memo {
			d.seats.Store(k, seatsSeen{at: time.Now(), booked: booked[k.day]})
		}
		return booked[k.day], nil
	}
	key := fmt.Sprintf("seats %d %s %s", k.office, k.day, k.service)
	if seen && time.Since(v.(seatsSeen).at) < seatsStale {
		// Nobody waits for this read (its channel is buffered); a failure shows on the next request
		// that has to wait for one.
		d.flight.DoChan(key, read)
		return v.(seatsSeen).booked, nil
	}
	booked, err, _ := d.flight.Do(key, read)
	if err != nil {
		return nil, err
	}
	return booked.(map[string]int), nil
}

// BookableDays lists the days of the booking window (for a case's confirmation booking, of its
// intersection with the case's window) with whether the office opens, how many seats of the service
// are free that day, and whether a booking for it could still be changed online.
func (d *Desk) BookableDays(ctx context.Context, officeID int64, service Service, caseID int64, actor audit.Actor) ([]DayFree, error) {
	p, err := d.cachedPlan(ctx, d.db, officeID)
	if err != nil {
		return nil, err
	}
	var fe problem.Fields
	if p.checkService(&fe, service); fe.Err() != nil {
		return nil, fe.Err()
	}
	w, err := d.window(ctx, p, caseID, actor)
	if err != nil {
		return nil, err
	}
	out := []DayFree{}
	if w.from.After(w.to) {
		return out, nil
	}
	booked, err := bookedOn(ctx, d.db, officeID, service, w.from.String(), w.to.String())
	if err != nil {
		return nil, err
	}
	today := d.Today()
	for day := w.from; !day.After(w.to); day = day.AddDays(1) {
		open, slots := p.daySlots(day, service, booked[day.String()])
		free := 0
		for _, s := range slots {
			free += s.Free
		}
		out = append(out, DayFree{Day: day.String(), Open: open && p.office.Active, Free: free,
			ChangeableOnline: p.office.Rules.changeableOnline(today, day)})
	}
	return out, nil
}

// parseWindow reads a case's window as Window gives it.
func parseWindow(from, to string) (window, error) {
	f, err := calendar.ParseDate(from)
	if err != nil {
		return window{}, fmt.Errorf("window start: %w", err)
	}
	t, err := calendar.ParseDate(to)
	if err != nil {
		return window{}, fmt.Errorf("window end: %w", err)
	}
	return window{f, t}, nil
}
