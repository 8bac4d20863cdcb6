package appointments

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/problem"
)

// officeRow is an office as table offices stores it.
type officeRow struct {
	bun.BaseModel `bun:"table:offices,alias:o"`

	ID           int64 `bun:",pk,autoincrement"`
	Jurisdiction string
	NameZH       string `bun:"name_zh"`
	NameEN       string `bun:"name_en"`
	AddressZH    string `bun:"address_zh"`
	AddressEN    string `bun:"address_en"`
	Phone        string
	Capacity     map[Service]int
	Sessions     []Session
	SlotMinutes  int
	Rules        Rules
	Active       bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (r *officeRow) office() Office {
	return Office{ID: r.ID, Jurisdiction: r.Jurisdiction, Name: lang.Text{ZH: r.NameZH, EN: r.NameEN},
		Address: lang.Text{ZH: r.AddressZH, EN: r.AddressEN}, Phone: r.Phone, Capacity: r.Capacity,
		Sessions: r.Sessions, SlotMinutes: r.SlotMinutes, Rules: r.Rules.withDefaults(), Active: r.Active,
		CreatedAt: r.CreatedAt, UpdatedAt: r.UpdatedAt}
}

func (r *officeRow) set(in OfficeInput) {
	r.Jurisdiction, r.NameZH, r.NameEN = in.Jurisdiction, in.Name.ZH, in.Name.EN
	r.AddressZH, r.AddressEN, r.Phone = in.Address.ZH, in.Address.EN, in.Phone
	r.Capacity, r.Sessions, r.SlotMinutes = in.Capacity, in.Sessions, in.SlotMinutes
	r.Rules, r.Active = in.Rules.withDefaults(), in.Active
}

// RuleNumber is one number of an office's rules, by its JSON name ("min_days_ahead").
type RuleNumber struct {
	Name  string
	Value *int
}

// Numbers lists the numbers of r by their JSON names, in the order forms show them: the one list
// that defaults, validation and the office form walk.
func (r *Rules) Numbers() []RuleNumber {
	return []RuleNumber{
		{"min_days_ahead", &r.MinDaysAhead}, {"max_days_ahead", &r.MaxDaysAhead}, {"change_cutoff_days", &r.ChangeCutoffDays},
		{"no_show_limit", &r.NoShowLimit}, {"cancel_limit", &r.CancelLimit}, {"lookback_days", &r.LookbackDays},
		{"short_cancel_limit", &r.ShortCancelLimit}, {"short_lookback_days", &r.ShortLookbackDays}, {"ban_days", &r.BanDays},
		{"daily_bookings", &r.DailyBookings},
	}
}

// withDefaults replaces the zero numbers of r by DefaultRules'.
func (r Rules) withDefaults() Rules {
	def := DefaultRules
	defaults := def.Numbers()
	for i, n := range r.Numbers() {
		if *n.Value == 0 {
			*n.Value = *defaults[i].Value
		}
	}
	return r
}

// plan is an office with all that decides when it opens: the working-day calendar of its
// jurisdiction and its exceptional days.
type plan struct {
	office   Office
	schedule *calendar.Schedule
	days     map[string]OfficeDay
	loaded   time.Time
}

// planTTL is how long the public slot pages reuse an office's plan; changes made through this desk
// take effect at once, those of other processes (and calendar changes) within planTTL.
const planTTL = 30 * time.Second

// planReadTimeout bounds a plan read that callers share (see cachedPlan).
const planReadTimeout = 10 * time.Second

// loadPlan reads an office's plan afresh; an office that does not exist is problem.ErrNotFound.
func (d *Desk) loadPlan(ctx context.Context, db bun.IDB, id int64) (*plan, error) {
	row := new(officeRow)
	err := db.NewSelect().Model(row).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, problem.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("reading office %d: %w", id, err)
	}
	p := &plan{office: row.office(), days: map[string]OfficeDay{}, loaded: time.Now()}
	if p.schedule, err = calendar.New(db).For(ctx, row.Jurisdiction); err != nil {
		return nil, fmt.Errorf("reading the calendar of office %d: %w", id, err)
	}
	var days []OfficeDay
	if err := db.NewSelect().Model(&days).Where("office_id = ?", id).Scan(ctx); err != nil {
		return nil, fmt.Errorf("reading the days of office %d: %w", id, err)
	}
	for _, od := range days {
		p.days[od.Day] = od
	}
	d.plans.Store(id, p)
	return p, nil
}

// cachedPlan returns an office's plan as read at most planTTL ago, reading it through db when older.
// Callers that find it old at the same moment share one read: on a hot day thousands of requests
// come at once for the office just opened. The shared read runs on the first caller's connection (a
// booking holds one for all its reads, and waiting for a second could starve the pool) but not on its
// context: the first caller going away (a citizen closing the page) must fail no other.
func (d *Desk) cachedPlan(ctx context.Context, db bun.IDB, id int64) (*plan, error) {
	if v, ok := d.plans.Load(id); ok && time.Since(v.(*plan).loaded) < planTTL {
		return v.(*plan), nil
	}
	v, err, _ := d.flight.Do("plan "+strconv.FormatInt(id, 10), func() (any, error) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), planReadTimeout)
		defer cancel()
		return d.loadPlan(ctx, db, id)
	})
	if err != nil {
		return nil, err
	}
	return v.(*plan), nil
}

// opening returns whether the office opens on day and its sessions that day: an office day's
// exception first, else the office's usual sessions on the jurisdiction's working days.
func (p *plan) opening(day calendar.Date) (bool, []Session) {
	if od, ok := p.days[day.String()]; ok {
		if od.Kind == DayClosed {
			return false, nil
		}
		if len(od.Sessions) > 0 {
			return true, od.Sessions
		}
		return true, p.office.Sessions
	}
	if p.schedule.IsWorkingDay(day) {
		return true, p.office.Sessions
	}
	return false, nil
}

// timedSlot is a slot of a day and the index of its session.
type timedSlot struct {
	Session
	session int
}

// cut divides sessions into slots of minutes; the last slot of a session ends at its end or before.
func cut(sessions []Session, minutes int) []timedSlot {
	var out []timedSlot
	for i, s := range sessions {
		start, _ := clockMinutes(s.Start)
		end, _ := clockMinutes(s.End)
		for t := start; t+minutes <= end; t += minutes {
			out = append(out, timedSlot{Session{Start: hhmm(t), End: hhmm(t + minutes)}, i})
		}
	}
	return out
}

// slotAt returns the slot of the day that starts at start.
func slotAt(slots []timedSlot, start string) (timedSlot, bool) {
	for _, s := range slots {
		if s.Start == start {
			return s, true
		}
	}
	return timedSlot{}, false
}

var clockPattern = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)

// clockMinutes reads a time of day HH:MM as minutes after midnight.
func clockMinutes(s string) (int, bool) {
	if !clockPattern.MatchString(s) {
		return 0, false
	}
	h, _ := strconv.Atoi(s[:2])
	m, _ := strconv.Atoi(s[3:])
	return h*60 + m, true
}

func hhmm(minutes int) string { return fmt.Sprintf("%02d:%02d", minutes/60, minutes%60) }

// at is the instant of a time of day HH:MM on day in China.
func at(day calendar.Date, clock string) time.Time {
	m, _ := clockMinutes(clock)
	return day.Time().Add(time.Duration(m) * time.Minute)
}

// checkSessions adds an error for every session that is not HH:MM–HH:MM, ends before it starts or
// overlaps another; path is where the list is ("sessions").
func checkSessions(fe *problem.Fields, path string, sessions []Session) {
	type span struct{ start, end, i int }
	var spans []span
	for i, s := range sessions {
		p := fmt.Sprintf("%s[%d]", path, i)
		start, okStart := clockMinutes(s.Start)
		end, okEnd := clockMinutes(s.End)
		if !okStart {
			fe.Add(p+".start", "invalid_time", "请按“时:分”填写，如 09:00。", "Write the time as HH:MM, e.g. 09:00.")
		}
		if !okEnd {
			fe.Add(p+".end", "invalid_time", "请按“时:分”填写，如 11:30。", "Write the time as HH:MM, e.g. 11:30.")
		}
		if okStart && okEnd && start >= end {
			fe.Add(p+".end", "end_before_start", "结束时间须晚于开始时间。", "The end must be after the start.")
		}
		if okStart && okEnd && start < end {
			spans = append(spans, span{start, end, i})
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return a.start - b.start })
	for k := 1; k < len(spans); k++ {
		if spans[k].start < spans[k-1].end {
			fe.Add(fmt.Sprintf("%s[%d].start", path, spans[k].i), "overlap", "该时段与另一时段重叠。",
				"This session overlaps another.")
		}
	}
}

var officePhonePattern = regexp.MustCompile(`^[0-9][0-9 -]{4,29}$`)

// normalise trims the office input's text.
func (in *OfficeInput) normalise() {
	in.Jurisdiction = strings.TrimSpace(in.Jurisdiction)
	in.Name = lang.Text{ZH: strings.TrimSpace(in.Name.ZH), EN: strings.TrimSpace(in.Name.EN)}
	in.Address = lang.Text{ZH: strings.TrimSpace(in.Address.ZH), EN: strings.TrimSpace(in.Address.EN)}
	in.Phone = strings.TrimSpace(in.Phone)
}

// validate reports every error of an office's input at once.
func (in *OfficeInput) validate(ctx context.Context, db bun.IDB) error {
	var fe problem.Fields
	if err := in.checkJurisdiction(ctx, db, &fe); err != nil {
		return err
	}
	in.checkContact(&fe)
	in.checkSeats(&fe)
	in.checkOpening(&fe)
	in.Rules.check(&fe)
	return fe.Err()
}

// checkJurisdiction adds the error of the office's jurisdiction: a code of one that exists.
func (in *OfficeInput) checkJurisdiction(ctx context.Context, db bun.IDB, fe *problem.Fields) error {
	if !jurisdictions.ValidCode(in.Jurisdiction) {
		fe.Add("jurisdiction", "invalid", "请选择行政区划。", "Choose a jurisdiction.")
		return nil
	}
	_, err := jurisdictions.Get(ctx, db, in.Jurisdiction)
	if errors.Is(err, jurisdictions.ErrNotFound) {
		fe.Add("jurisdiction", "not_found", "该行政区划不存在。", "That jurisdiction does not exist.")
		return nil
	}
	return err
}

// checkContact adds the errors of the office's name, address and phone.
func (in *OfficeInput) checkContact(fe *problem.Fields) {
	text := func(path, value string, required bool, max int) {
		if required && value == "" {
			fe.Add(path, "required", "此项必填。", "This field is required.")
		}
		if utf8.RuneCountInString(value) > max {
			fe.Add(path, "too_long", fmt.Sprintf("最多%d个字。", max), fmt.Sprintf("At most %d characters.", max))
		}
	}
	text("name.zh", in.Name.ZH, true, 100)
	text("name.en", in.Name.EN, false, 200)
	text("address.zh", in.Address.ZH, true, 200)
	text("address.en", in.Address.EN, false, 300)
	if in.Phone != "" && !officePhonePattern.MatchString(in.Phone) {
		fe.Add("phone", "invalid", "请填写电话号码，如 024-12345678。", "Enter a telephone number, e.g. 024-12345678.")
	}
}

// checkSeats adds the errors of the seats per slot: known services, 0 to 1000 each, one offered.
func (in *OfficeInput) checkSeats(fe *problem.Fields) {
	offered := 0
	for s, n := range in.Capacity {
		path := "capacity." + string(s)
		switch {
		case !s.known():
			fe.Add(path, "unknown_service", "没有这种业务。", "There is no such service.")
		case n < 0 || n > 1000:
			fe.Add(path, "out_of_range", "每个时段的名额应为0至1000。", "Seats per slot must be 0 to 1000.")
		case n > 0:
			offered++
		}
	}
	if offered == 0 {
		fe.Add("capacity", "no_service", "至少开放一项业务的预约名额。", "Offer seats for at least one service.")
	}
}

// checkOpening adds the errors of the opening sessions and the slot length.
func (in *OfficeInput) checkOpening(fe *problem.Fields) {
	if len(in.Sessions) == 0 {
		fe.Add("sessions", "required", "至少设置一个办公时段。", "Set at least one session.")
	}
	checkSessions(fe, "sessions", in.Sessions)
	if in.SlotMinutes < 5 || in.SlotMinutes > 240 {
		fe.Add("slot_minutes", "out_of_range", "每个预约时段应为5至240分钟。", "A slot lasts 5 to 240 minutes.")
	}
}

// check adds the errors of the booking rules: each 0 (the default) to 3660, and a booking window that
// does not end before it starts.
func (r *Rules) check(fe *problem.Fields) {
	for _, n := range r.Numbers() {
		if *n.Value < 0 || *n.Value > 3660 {
			fe.Add("rules."+n.Name, "out_of_range", "应为0（取默认值）至3660。", "Must be 0 (the default) to 3660.")
		}
	}
	if d := r.withDefaults(); r.MinDaysAhead >= 0 && r.MaxDaysAhead >= 0 && d.MaxDaysAhead < d.MinDaysAhead {
		fe.Add("rules.max_days_ahead", "before_min", "最远可约天数不能小于最早可约天数。",
			"The latest bookable day cannot come before the earliest.")
	}
}

// mayWriteOffices answers Forbidden unless the actor may manage offices in jurisdiction.
func (d *Desk) mayWriteOffices(actor audit.Actor, jurisdiction string) error {
	if !d.allowed(actor, jurisdiction, "office", "write") {
		return problem.ErrForbidden
	}
	return nil
}

// CreateOffice validates and adds an office (office:write in its jurisdiction; audited office.create).
func (d *Desk) CreateOffice(ctx context.Context, actor audit.Actor, in OfficeInput) (*Office, error) {
	if actor.UserID <= 0 || !d.enf.AllowedSomewhere(actor.UserID, "office", "write") {
		return nil, problem.ErrForbidden
	}
	in.normalise()
	if err := in.validate(ctx, d.db); err != nil {
		return nil, err
	}
	if err := d.mayWriteOffices(actor, in.Jurisdiction); err != nil {
		return nil, err
	}
	now := d.now()
	row := &officeRow{CreatedAt: now, UpdatedAt: now}
	row.set(in)
	err := d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(row).Exec(ctx); err != nil {
			return fmt.Errorf("inserting office: %w", err)
		}
		return audit.Record(ctx, tx, actor, "office.create", "office", strconv.FormatInt(row.ID, 10), row.Jurisdiction,
			map[string]any{"name": row.NameZH})
	})
	if err != nil {
		return nil, err
	}
	o := row.office()
	return &o, nil
}

// UpdateOffice replaces an office's settings (office:write in its old and new jurisdiction; audited
// office.update). Bookings already made stay as they are.
func (d *Desk) UpdateOffice(ctx context.Context, actor audit.Actor, id int64, in OfficeInput) (*Office, error) {
	p, err := d.loadPlan(ctx, d.db, id)
	if err != nil {
		return nil, err
	}
	if err := d.mayWriteOffices(actor, p.office.Jurisdiction); err != nil {
		return nil, err
	}
	in.normalise()
	if err := in.validate(ctx, d.db); err != nil {
		return nil, err
	}
	if err := d.mayWriteOffices(actor, in.Jurisdiction); err != nil {
		return nil, err
	}
	row := &officeRow{ID: id, CreatedAt: p.office.CreatedAt, UpdatedAt: d.now()}
	row.set(in)
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewUpdate().Model(row).ExcludeColumn("created_at").WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("updating office %d: %w", id, err)
		}
		return audit.Record(ctx, tx, actor, "office.update", "office", strconv.FormatInt(id, 10), row.Jurisdiction,
			map[string]any{"name": row.NameZH, "active": row.Active})
	})
	d.plans.Delete(id)
	if err != nil {
		return nil, err
	}
	o := row.office()
	return &o, nil
}

// Office returns an office (public); one that does not exist is problem.ErrNotFound.
func (d *Desk) Office(ctx context.Context, id int64) (*Office, error) {
	p, err := d.cachedPlan(ctx, d.db, id)
	if err != nil {
		return nil, err
	}
	o := p.office
	return &o, nil
}

// Offices lists the offices by jurisdiction: only the active ones for the public pages.
func (d *Desk) Offices(ctx context.Context, activeOnly bool) ([]Office, error) {
	var rows []officeRow
	q := d.db.NewSelect().Model(&rows).OrderExpr("jurisdiction, id")
	if activeOnly {
		q = q.Where("active")
	}
	if err := q.Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing offices: %w", err)
	}
	out := make([]Office, 0, len(rows))
	for i := range rows {
		out = append(out, rows[i].office())
	}
	return out, nil
}

// SetDay records an exception to an office's opening on one day, replacing the one there was
// (office:write; audited office.day.set): closed, or open with its own sessions (or the usual ones
// when it gives none).
func (d *Desk) SetDay(ctx context.Context, actor audit.Actor, officeID int64, day OfficeDay) (*OfficeDay, error) {
	p, err := d.loadPlan(ctx, d.db, officeID)
	if err != nil {
		return nil, err
	}
	if err := d.mayWriteOffices(actor, p.office.Jurisdiction); err != nil {
		return nil, err
	}
	day.OfficeID, day.Note = officeID, strings.TrimSpace(day.Note)
	var fe problem.Fields
	if _, err := calendar.ParseDate(day.Day); err != nil {
		fe.Add("day", "invalid_date", "请按 YYYY-MM-DD 填写日期。", "Write the date as YYYY-MM-DD.")
	}
	switch day.Kind {
	case DayOpen:
		checkSessions(&fe, "sessions", day.Sessions)
	case DayClosed:
		if len(day.Sessions) > 0 {
			fe.Add("sessions", "closed_with_sessions", "闭馆日不能设置办公时段。", "A closed day has no sessions.")
		}
	default:
		fe.Add("kind", "invalid", "请选择“闭馆”或“开放”。", "Choose closed or open.")
	}
	if utf8.RuneCountInString(day.Note) > 200 {
		fe.Add("note", "too_long", "最多200个字。", "At most 200 characters.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&day).On("CONFLICT (office_id, day) DO UPDATE").
			Set("kind = EXCLUDED.kind, sessions = EXCLUDED.sessions, note = EXCLUDED.note").Exec(ctx); err != nil {
			return fmt.Errorf("setting day %s of office %d: %w", day.Day, officeID, err)
		}
		return audit.Record(ctx, tx, actor, "office.day.set", "office", strconv.FormatInt(officeID, 10), p.office.Jurisdiction,
			map[string]any{"day": day.Day, "kind": day.Kind, "sessions": day.Sessions, "note": day.Note})
	})
	d.plans.Delete(officeID)
	if err != nil {
		return nil, err
	}
	return &day, nil
}

// RemoveDay removes the exception of an office's day, so that the day opens as usual again
// (office:write; audited office.day.remove).
func (d *Desk) RemoveDay(ctx context.Context, actor audit.Actor, officeID int64, day string) error {
	p, err := d.loadPlan(ctx, d.db, officeID)
	if err != nil {
		return err
	}
	if err := d.mayWriteOffices(actor, p.office.Jurisdiction); err != nil {
		return err
	}
	err = d.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*OfficeDay)(nil)).Where("office_id = ? AND day = ?", officeID, day).Exec(ctx)
		if err != nil {
			return fmt.Errorf("removing day %s of office %d: %w", day, officeID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return problem.ErrNotFound
		}
		return audit.Record(ctx, tx, actor, "office.day.remove", "office", strconv.FormatInt(officeID, 10), p.office.Jurisdiction,
			map[string]any{"day": day})
	})
	d.plans.Delete(officeID)
	return err
}

// Days lists an office's exceptional days from from to to (inclusive, YYYY-MM-DD).
func (d *Desk) Days(ctx context.Context, officeID int64, from, to string) ([]OfficeDay, error) {
	var fe problem.Fields
	if _, err := calendar.ParseDate(from); err != nil {
		fe.Add("from", "invalid_date", "请按 YYYY-MM-DD 填写日期。", "Write the date as YYYY-MM-DD.")
	}
	if _, err := calendar.ParseDate(to); err != nil {
		fe.Add("to", "invalid_date", "请按 YYYY-MM-DD 填写日期。", "Write the date as YYYY-MM-DD.")
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	out := []OfficeDay{}
	if err := d.db.NewSelect().Model(&out).Where("office_id = ? AND day BETWEEN ? AND ?", officeID, from, to).
		OrderExpr("day").Scan(ctx); err != nil {
		return nil, fmt.Errorf("listing the days of office %d: %w", officeID, err)
	}
	return out, nil
}
