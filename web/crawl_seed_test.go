package web_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/consultations"
	"github.com/civicflow/civicflow/inquiries"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/tasks"
	"github.com/civicflow/civicflow/workflow"
)

// persona is one kind of visitor the crawl sends every request as: an account with the roles of
// grants (none for the anonymous visitor), its session cookie and its bearer token, and where its
// roles read cases and bookings, which decides the answers the crawl expects for them.
type persona struct {
	name   string
	grants []string
	// reads gives, by object ("case", "appointment"), the grant pattern in which the persona's role
	// reads it; absent for none. Written from policies/policy.csv by hand, not asked of the enforcer.
	reads map[string]string
	// allWays makes the persona ask for every address in every way (persona.ways), not only in the way
	// of its kind (a browser for pages, a client with a token for the API).
	allWays bool
	id      int64
	session string
	token   string
}

// readsIn reports whether the persona's role reads obj in the jurisdiction.
func (p *persona) readsIn(obj, jurisdiction string) bool {
	pattern, ok := p.reads[obj]
	return ok && policies.Covers(pattern, jurisdiction)
}

// Where staff personas hold their roles: the cases of the crawl are in Shenyang (210100, and its
// county Heping, 210102), and staff of Dalian (210200) must see none of them.
const (
	inside  = "2101*"
	outside = "2102*"
)

// staffReads are the objects each staff role reads (policy.csv), for the crawl's expectations.
var staffReads = map[string][]string{
	"acceptor": {"case", "appointment", "binding"}, "reviewer": {"case", "notice", "binding"}, "approver": {"case", "notice", "binding"},
	"disclosure_officer": {"case"}, "disclosure_head": {"case"}, "publisher": {"notice"}, "admin": {"case", "appointment"}, "auditor": {"case", "appointment", "notice", "binding"},
}

// crawlPersonas are the visitors of the crawl: anonymous, a citizen, the applicant of the social
// group cases and another applicant, every staff role inside and outside the cases' jurisdiction, and
// the province's admin and auditor.
func crawlPersonas() []*persona {
	ps := []*persona{
		{name: "anonymous", allWays: true},
		{name: "citizen", grants: []string{"citizen"}},
		{name: "applicant", grants: []string{"org_applicant"}, allWays: true},
		{name: "other-applicant", grants: []string{"org_applicant", "citizen"}},
	}
	for _, role := range []string{"acceptor", "reviewer", "approver", "disclosure_officer", "disclosure_head", "publisher", "admin", "auditor"} {
		for _, where := range []string{"in", "out"} {
			pattern := map[string]string{"in": inside, "out": outside}[where]
			reads := map[string]string{}
			for _, obj := range staffReads[role] {
				reads[obj] = pattern
			}
			ps = append(ps, &persona{name: role + "-" + where, grants: []string{role + "@" + pattern}, reads: reads})
		}
	}
	for _, role := range []string{"admin", "auditor"} {
		reads := map[string]string{"case": "21*", "appointment": "21*"}
		if role == "auditor" {
			reads["notice"], reads["binding"] = "21*", "21*"
		}
		ps = append(ps, &persona{name: role + "-province", grants: []string{role + "@21*"}, reads: reads, allWays: role == "admin"})
	}
	return ps
}

// crawlCase is a seeded case, read back from the database with its parties.
type crawlCase struct {
	workflow.Case
	// edit is the submit or resubmit action whose form page the applicant may open now ("" for none).
	edit string
}

// crawlBooking is a seeded booking with its owner and its office's jurisdiction.
type crawlBooking struct {
	id, owner    int64
	jurisdiction string
}

// crawlMaterial is a seeded upload with its owner and the case it belongs to (0 for none).
type crawlMaterial struct {
	id, owner, caseID int64
}

// crawlWorld is the seeded database the crawl visits: cases in every state of every built-in item,
// bookings of every status, offices, materials, drafts and messages.
type crawlWorld struct {
	personas []*persona
	who      map[string]*persona
	items    []*catalog.Item
	cases    []crawlCase
	// bookings, materials and users are those whose addresses the crawl visits: one of each kind.
	bookings  []crawlBooking
	materials []crawlMaterial
	documents []workflow.Document
	users     []int64
	offices   []int64
	heping    int64  // the office whose day sheet has bookings
	firstDay  string // the day the first bookings were checked in
	day       string // an open day of Heping's booking window at the end
	appearing int64  // the divorce case waiting for its parties' appearance
	// notices are every notice: those the decisions published and one staff notice in each status.
	notices     []notices.Notice
	noticeFiles []crawlNoticeFile
	// bindings are every organisation binding: those the registrations made and a pending request.
	bindings []register.Binding
	// inquiries are the consultations, complaints and suggestions of seedInquiries (inquiries_test.go).
	inquiries     []inquiries.Inquiry
	inquirySecret string
	// consultations are drafts put to public comment in every status, with their files.
	consultations     []consultations.Consultation
	consultationFiles []crawlConsultationFile
}

// caseSeen reports whether the persona may see the case: its applicant and parties, and staff reading
// cases in its jurisdiction.
func (w *crawlWorld) caseSeen(p *persona, c workflow.Case) bool {
	if p.id != 0 && (p.id == c.ApplicantID || slices.Contains(c.Parties, p.id)) {
		return true
	}
	return p.readsIn("case", c.Jurisdiction)
}

// couples are the bookings of the crawl, each by its own booker: "d-" divorces, "m-" marriages, "r-"
// replacements of a certificate, named by the state their case reaches. The citizen persona books
// d-review; the booking of "no-show" is never checked in.
var couples = []string{"d-accepted", "d-cooling", "d-confirmation", "d-review", "d-issued", "d-withdrawn",
	"d-deemed", "d-refused", "m-accepted", "m-registered", "m-refused", "r-accepted", "r-issued", "r-refused", "no-show"}

// seeder builds the crawl's world on a site, moving the site's clock forward as the divorce periods
// and the six months of a 筹备 approval require.
type seeder struct {
	t       *testing.T
	st      *site
	ctx     context.Context
	w       *crawlWorld
	clerk   audit.Actor // the acceptor inside, who checks people in
	bookers map[string]*persona
	seq     int              // the last person number handed out
	self    map[int64]string // the resident ID number each account books as, once it booked
	groups  int              // social group cases started
}

// seedCrawlWorld creates the accounts and the world. Every case reaches its state through the engine,
// the appointments desk and the timers of the fake clock.
func seedCrawlWorld(t *testing.T, st *site) *crawlWorld {
	t.Helper()
	sd := &seeder{t: t, st: st, ctx: context.Background(), bookers: map[string]*persona{}, self: map[int64]string{},
		w: &crawlWorld{personas: crawlPersonas(), who: map[string]*persona{}}}
	sd.accounts()
	cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	sd.w.items = cat.Items()
	sd.seed()
	sd.seedCredit()
	sd.seedDisclosure() // requests for government information
	sd.readCases()
	sd.seedNotices()
	sd.seedBindings()
	sd.seedInquiries()
	sd.seedConsultations()
	return sd.w
}

// accounts creates the personas, with a session and a token each, and the bookers. They are written
// directly, without a password: nobody logs in with one, and hashing forty passwords would take
// seconds.
func (sd *seeder) accounts() {
	w, db := sd.w, sd.st.stack.DB
	for _, p := range w.personas {
		w.who[p.name] = p
		if p.name == "anonymous" {
			continue
		}
		p.id = sd.account(p.name, p.grants...)
		var err error
		if p.session, err = accounts.StartSession(sd.ctx, db, p.id, time.Hour, "127.0.0.1", "crawler"); err != nil {
			sd.t.Fatal(err)
		}
		if p.token, _, err = accounts.CreateToken(sd.ctx, db, actorOf(p), p.id, "crawl", 0); err != nil {
			sd.t.Fatal(err)
		}
	}
	for _, name := range couples {
		if name == "d-review" {
			sd.bookers[name] = w.who["citizen"]
			continue
		}
		b := &persona{name: "booker-" + name}
		b.id = sd.account(b.name, "citizen")
		sd.bookers[name] = b
	}
	if err := sd.st.enf.Reload(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
	for _, name := range []string{"citizen", "applicant", "acceptor-in", "acceptor-out", "admin-province"} {
		w.users = append(w.users, w.who[name].id)
	}
	w.users = append(w.users, sd.bookers["m-accepted"].id)
}

// account writes an account with the grants ("role@pattern") and returns its id.
func (sd *seeder) account(login string, grants ...string) int64 {
	now := time.Now().UTC()
	u := &accounts.User{Login: "crawl." + login, Locale: "zh-CN", PasswordHash: "!", CreatedAt: now, UpdatedAt: now}
	if _, err := sd.st.stack.DB.NewInsert().Model(u).Exec(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
	for _, g := range grants {
		role, pattern, _ := strings.Cut(g, "@")
		if err := policies.GrantSystem(sd.ctx, sd.st.stack.DB, u.ID, role, pattern); err != nil {
			sd.t.Fatal(err)
		}
	}
	return u.ID
}

// actorOf is the persona as the actor of an operation.
func actorOf(p *persona) audit.Actor { return audit.Actor{UserID: p.id, Label: p.name} }

// seed runs the timeline. What a time limit must overtake is started first; the clock then moves on
// 45 days (the 30-day cooling-off periods end, however long a holiday stretches them), 45 more (the
// appearance window of one divorce passes) and 215 more (six months after the preparations were
// approved), and what no time limit may overtake is started last.
func (sd *seeder) seed() {
	st, w := sd.st, sd.w
	sd.clerk = actorOf(w.who["acceptor-in"])
	admin := actorOf(w.who["admin-province"])
	heping := sd.office(admin, "210102", "和平区婚姻登记处", true)
	w.heping = heping.ID
	w.offices = []int64{heping.ID, sd.office(admin, "210200", "大连市婚姻登记处", true).ID, sd.office(admin, "210102", "和平区旧登记处", false).ID}
	closed := calendar.DateOf(st.clock.Now()).AddDays(5).String()
	if _, err := st.desk.SetDay(sd.ctx, admin, heping.ID, appointments.OfficeDay{Day: closed, Kind: appointments.DayClosed, Note: "停电"}); err != nil {
		sd.t.Fatal(err)
	}

	// Social groups: one for each state, the unanswered 补正 to be deemed withdrawn, the application
	// to lapse, and a case of the other applicant.
	app, other := w.who["applicant"], w.who["other-applicant"]
	lapsing := sd.group("establishment_application")
	applying := sd.group("establishment_application")
	sd.walk(sd.group("prep_acceptance"), "supplement_prep")
	for _, state := range []string{"prep_review", "prep_decision", "est_review", "est_decision", "registered"} {
		sd.group(state)
	}
	sd.walk(sd.group("prep_acceptance"), "reject")
	st.startPreparation(other.token, "沈阳市另一申请人促进会")
	w.materials = []crawlMaterial{{id: st.uploadPDF(app.token, sgItem, "draft_articles"), owner: app.id},
		{id: st.uploadPDF(other.token, sgItem, "draft_articles"), owner: other.id}}

	// The couples book the first open day and come; the citizen booked and cancelled another day first.
	days := sd.openDays(heping.ID, 4)
	w.firstDay = days[0]
	sd.keep(sd.cancelled(w.who["citizen"], heping.ID, days[3]))
	booked := map[string]*couple{}
	for _, name := range couples {
		service := map[byte]appointments.Service{'d': appointments.Divorce, 'm': appointments.Marriage, 'r': appointments.Replacement, 'n': appointments.Divorce}[name[0]]
		booked[name] = sd.book(sd.bookers[name], heping.ID, service, days[0], 0)
	}
	sd.keep(booked["d-review"].b)
	sd.keep(booked["m-registered"].b)
	sd.keep(booked["no-show"].b)
	st.atOffice(days[0], "09:05")
	for _, name := range couples {
		if name != "no-show" {
			booked[name].open(sd)
		}
	}
	for name, action := range map[string]string{"m-registered": "register", "m-refused": "refuse", "r-issued": "issue",
		"r-refused": "refuse", "d-refused": "reject", "d-withdrawn": "issue_receipt", "d-review": "issue_receipt",
		"d-issued": "issue_receipt", "d-deemed": "issue_receipt"} {
		booked[name].c = sd.apply(sd.clerk, booked[name].c, action)
	}
	sd.apply(actorOf(booked["d-withdrawn"].booker), booked["d-withdrawn"].c, "withdraw")

	sd.seedDisclosureTimed() // requests that their timers end
	// The cooling-off periods pass: the booking nobody came to is a no-show, the divorces wait for
	// their parties, the unanswered 补正 is deemed withdrawn.
	st.clock.AddDate(0, 0, 45)
	sd.fire()
	if n, err := st.desk.MarkNoShows(sd.ctx, st.clock.Now()); err != nil || n != 1 {
		sd.t.Fatalf("marked %d no-shows: %v", n, err)
	}
	// Two couples come within their window: review, then the certificate.
	for _, name := range []string{"d-review", "d-issued"} {
		cp := booked[name]
		day := sd.windowDay(cp)
		again := sd.book(cp.booker, heping.ID, appointments.Divorce, day, cp.c.ID)
		if name == "d-review" {
			sd.keep(again.b)
		}
		st.atOffice(day, "09:05")
		sd.checkIn(again)
		cp.c = sd.reload(cp.c.ID)
	}
	sd.apply(sd.clerk, booked["d-issued"].c, "issue_certificate")
	// The window passes for the couple that never came back.
	st.clock.AddDate(0, 0, 45)
	sd.fire()
	sd.apply(sd.clerk, booked["d-confirmation"].c, "issue_receipt")
	// More than six months after the preparations were approved: the last cooling-off ends too.
	st.clock.AddDate(0, 0, 215)
	sd.fire()
	w.appearing = booked["d-confirmation"].c.ID
	sd.apply(actorOf(w.who["approver-in"]), sd.reload(lapsing.ID), "lapse")
	sd.apply(sd.clerk, booked["d-cooling"].c, "issue_receipt")

	// What no time limit may overtake: the applications not yet accepted (行政许可法 art. 32), the
	// open 补正 notices, drafts, bookings to come.
	sd.group("prep_acceptance")
	sd.group("est_acceptance")
	sd.walk(sd.group("prep_acceptance"), "supplement_prep")
	sd.walk(sd.group("est_acceptance"), "supplement_est")
	sd.establishmentKinds()
	sd.seedEvaluations()
	sd.seedFilings()
	sd.orgChanges() // the change registrations, in every state
	// A case assigned to a reviewer (承办人), with an internal note: its page shows staff both.
	reviewing := sd.group("prep_review")
	if _, err := st.engine.Assign(sd.ctx, actorOf(w.who["approver-in"]), reviewing.ID,
		workflow.AssignRequest{AssigneeID: w.who["reviewer-in"].id, ExpectedVersion: reviewing.Version}); err != nil {
		sd.t.Fatal(err)
	}
	if _, err := st.engine.AddNote(sd.ctx, actorOf(w.who["reviewer-in"]), reviewing.ID, "已电话核实住所。"); err != nil {
		sd.t.Fatal(err)
	}
	for _, d := range []struct {
		who    *persona
		caseID int64
		data   map[string]any
	}{{app, 0, map[string]any{"name": "沈阳市草稿协会"}}, {app, applying.ID, map[string]any{"members_present": 40}},
		{other, 0, map[string]any{"name": "沈阳市另一草稿协会"}}} {
		if err := st.engine.SaveDraft(sd.ctx, d.who.id, sgItem, d.caseID, d.data); err != nil {
			sd.t.Fatal(err)
		}
	}
	w.day = sd.openDays(heping.ID, 1)[0]
	sd.keep(sd.book(w.who["citizen"], heping.ID, appointments.Replacement, w.day, 0).b)
	sd.keep(sd.book(other, heping.ID, appointments.Replacement, w.day, 0).b)
	if _, err := calendar.SetOverride(sd.ctx, st.stack.DB, st.enf, admin, "210100", calendar.DateOf(st.clock.Now()).AddDays(10).String(),
		"closed", "暴雪，停止办公"); err != nil {
		sd.t.Fatal(err)
	}
	if _, err := st.engine.SendClockNotices(sd.ctx, st.clock.Now()); err != nil {
		sd.t.Fatal(err)
	}
	sd.annualReports()
	sd.deliver()
}

// office creates a registration office of the jurisdiction.
func (sd *seeder) office(admin audit.Actor, jurisdiction, name string, active bool) *appointments.Office {
	o, err := sd.st.desk.CreateOffice(sd.ctx, admin, appointments.OfficeInput{Jurisdiction: jurisdiction,
		Name: lang.Text{ZH: name, EN: "Registry " + jurisdiction}, Address: lang.Text{ZH: "南京北街1号"}, Phone: "024-12345678",
		Capacity:    map[appointments.Service]int{appointments.Marriage: 20, appointments.Divorce: 20, appointments.Replacement: 20},
		SlotMinutes: 30, Active: active, Sessions: []appointments.Session{{Start: "09:00", End: "11:30"}}})
	if err != nil {
		sd.t.Fatal(err)
	}
	return o
}

// openDays returns the first n open days of the office's booking window.
func (sd *seeder) openDays(office int64, n int) []string {
	days, err := sd.st.desk.BookableDays(sd.ctx, office, appointments.Divorce, 0, sd.clerk)
	if err != nil {
		sd.t.Fatal(err)
	}
	var out []string
	for _, d := range days {
		if d.Open && d.Free > 0 && len(out) < n {
			out = append(out, d.Day)
		}
	}
	if len(out) < n {
		sd.t.Fatalf("only %d open days in %+v", len(out), days)
	}
	return out
}

// couple is a booking and the case opened from it, with the account that booked and the two people.
type couple struct {
	booker *persona
	people [2]string
	b      *appointments.Booking
	c      *workflow.Case
}

// book books the service for the booker's own person (a new man the first time) and a new woman, or
// for the case's two people when caseID is set.
func (sd *seeder) book(booker *persona, office int64, service appointments.Service, day string, caseID int64) *couple {
	cp := &couple{booker: booker}
	if caseID == 0 {
		self, ok := sd.self[booker.id]
		if !ok {
			sd.seq += 2
			self = personID(sd.t, "210102", "19900101", fmt.Sprintf("%03d", sd.seq-1))
			sd.self[booker.id] = self
		}
		sd.seq += 2
		cp.people = [2]string{self, personID(sd.t, "210102", "19900101", fmt.Sprintf("%03d", sd.seq))}
	} else {
		data, _ := sd.reload(caseID).Data["registration_parties"].(map[string]any)
		cp.people = [2]string{fmt.Sprint(data["booker_id_number"]), fmt.Sprint(data["partner_id_number"])}
	}
	b, err := sd.st.desk.Book(sd.ctx, actorOf(booker), appointments.BookingInput{OfficeID: office, Service: service, Day: day,
		Start: "09:00", BookerName: "王强", BookerIDNumber: cp.people[0], PartnerName: "李芳", PartnerIDNumber: cp.people[1],
		Phone: "13800138000", CaseID: caseID})
	if err != nil {
		sd.t.Fatalf("booking %s on %s for %s: %v", service, day, booker.name, err)
	}
	cp.b = b
	return cp
}

// keep makes the booking one whose addresses the crawl visits.
func (sd *seeder) keep(b *appointments.Booking) {
	o, err := sd.st.desk.Office(sd.ctx, b.OfficeID)
	if err != nil {
		sd.t.Fatal(err)
	}
	sd.w.bookings = append(sd.w.bookings, crawlBooking{id: b.ID, owner: b.UserID, jurisdiction: o.Jurisdiction})
}

// cancelled books the day for the persona and cancels the booking.
func (sd *seeder) cancelled(p *persona, office int64, day string) *appointments.Booking {
	b, err := sd.st.desk.Cancel(sd.ctx, actorOf(p), sd.book(p, office, appointments.Replacement, day, 0).b.ID)
	if err != nil {
		sd.t.Fatal(err)
	}
	return b
}

// checkIn checks the couple in at the window, today.
func (sd *seeder) checkIn(cp *couple) {
	if _, err := sd.st.desk.CheckIn(sd.ctx, sd.clerk, cp.b.OfficeID, appointments.CheckInInput{Code: cp.b.Code, Present: cp.people[:]}); err != nil {
		sd.t.Fatalf("checking in booking %d: %v", cp.b.ID, err)
	}
}

// open checks the couple in and opens the case of their booking.
func (cp *couple) open(sd *seeder) {
	sd.checkIn(cp)
	c, err := sd.st.desk.OpenCase(sd.ctx, sd.clerk, cp.b.ID)
	if err != nil {
		sd.t.Fatalf("opening the case of booking %d: %v", cp.b.ID, err)
	}
	cp.c = c
}

// windowDay is the first open day of the couple's appearance window.
func (sd *seeder) windowDay(cp *couple) string {
	days, err := sd.st.desk.BookableDays(sd.ctx, cp.b.OfficeID, appointments.Divorce, cp.c.ID, actorOf(cp.booker))
	if err != nil {
		sd.t.Fatal(err)
	}
	for _, d := range days {
		if d.Open && d.Free > 0 {
			return d.Day
		}
	}
	sd.t.Fatalf("no day to book in the window of case %d: %+v", cp.c.ID, days)
	return ""
}

// apply takes the action on the case as the actor, with the fields the built-in items ask of it.
func (sd *seeder) apply(actor audit.Actor, c *workflow.Case, action string) *workflow.Case {
	fields := map[string]any{}
	switch action {
	case "reject", "refuse":
		fields["reason"] = "材料不符合法定形式。"
	case "propose_prep", "propose_est":
		fields["opinion"] = "建议准予。"
	case "approve_preparation", "approve_establishment":
		fields["decision_number"] = "沈民社〔2026〕" + strconv.FormatInt(c.ID, 10) + "号"
	}
	return sd.take(actor, c, workflow.ApplyRequest{Action: action, Fields: fields})
}

// take applies the request to the case at its version, failing the test unless it goes through.
func (sd *seeder) take(actor audit.Actor, c *workflow.Case, req workflow.ApplyRequest) *workflow.Case {
	req.ExpectedVersion = c.Version
	next, err := sd.st.engine.Apply(sd.ctx, actor, c.ID, req)
	if err != nil {
		sd.t.Fatalf("%s on case %d in %s: %v", req.Action, c.ID, c.State, err)
	}
	return next
}

// reload reads the case again.
func (sd *seeder) reload(id int64) *workflow.Case {
	var c workflow.Case
	if err := sd.st.stack.DB.NewSelect().Model(&c).Where("c.id = ?", id).Scan(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
	return &c
}

// fire takes the actions of the timers due at the site's time.
func (sd *seeder) fire() {
	if _, err := sd.st.engine.FireDueTimers(sd.ctx, sd.st.clock.Now()); err != nil {
		sd.t.Fatal(err)
	}
}

// groupChain is the way of a 社会团体 case from its 筹备 application to the register.
var groupChain = []string{"accept_prep", "propose_prep", "approve_preparation", "submit_establishment", "accept_est", "propose_est", "approve_establishment"}

// group starts a 社会团体 case of the applicant through the API and takes it along groupChain to state.
func (sd *seeder) group(state string) *workflow.Case {
	sd.groups++
	started := sd.st.startPreparation(sd.w.who["applicant"].token, fmt.Sprintf("沈阳市爬行测试促进会%02d", sd.groups))
	c := sd.reload(started.ID)
	for _, action := range groupChain {
		if c.State == state {
			break
		}
		c = sd.walk(c, action)
	}
	if c.State != state {
		sd.t.Fatalf("the chain of a social group does not pass %s", state)
	}
	return c
}

// walk takes one action of a 社会团体 case as the persona whose work it is.
func (sd *seeder) walk(c *workflow.Case, action string) *workflow.Case {
	app := sd.w.who["applicant"]
	switch action {
	case "submit_establishment":
		est := sd.st.uploadAll(app.token, sgItem, "registration_form", "assembly_minutes", "adopted_articles", "leaders_list")
		leader := map[string]any{"name": "张伟", "id_number": residentID(sd.t, 901), "phone": "13912345678"}
		return sd.take(actorOf(app), c, workflow.ApplyRequest{Action: action, Data: map[string]any{
			"assembly_date":   calendar.DateOf(sd.st.clock.Now()).AddDays(-3).String(),
			"members_present": 46, "articles_adopted": true, "leaders_confirmed": true, "legal_representative": leader,
			"leaders":           []any{map[string]any{"name": "张伟", "id_number": residentID(sd.t, 901), "position": "会长"}},
			"registration_form": []int64{est["registration_form"]}, "assembly_minutes": []int64{est["assembly_minutes"]},
			"articles": []int64{est["adopted_articles"]}, "leaders_list": []int64{est["leaders_list"]},
		}})
	case "supplement_prep", "supplement_est":
		item := map[string]string{"supplement_prep": "name", "supplement_est": "members_present"}[action]
		return sd.take(sd.clerk, c, workflow.ApplyRequest{Action: action, Items: []string{item}, Comment: "请核对后补正。"})
	}
	by := map[string]string{"accept_prep": "acceptor-in", "accept_est": "acceptor-in", "reject": "acceptor-in",
		"propose_prep": "reviewer-in", "propose_est": "reviewer-in",
		"approve_preparation": "approver-in", "approve_establishment": "approver-in"}[action]
	return sd.apply(actorOf(sd.w.who[by]), c, action)
}

// deliver delivers every message waiting in the outbox as a worker would, through an SMS provider
// that is down, so that the failed deliveries have something to list.
func (sd *seeder) deliver() {
	var ids []int64
	if err := sd.st.stack.DB.NewSelect().Model((*notify.Outbox)(nil)).Column("id").Where("status = ?", notify.StatusPending).
		Scan(sd.ctx, &ids); err != nil {
		sd.t.Fatal(err)
	}
	d := notify.NewDeliverer(sd.st.stack.DB, notify.Senders{SMS: downSMS{}}, 1, sd.st.clock.Now)
	for {
		n, err := d.DeliverInbox(sd.ctx, notify.InboxBatch)
		if err != nil {
			sd.t.Fatalf("delivering in-app messages: %v", err)
		}
		if n == 0 {
			break
		}
	}
	for _, id := range ids {
		if err := d.ProcessTask(sd.ctx, tasks.NewDeliver(id)); err != nil && !errors.Is(err, errSMSDown) {
			sd.t.Fatalf("delivering outbox row %d: %v", id, err)
		}
	}
}

var errSMSDown = errors.New("SMS provider down")

// downSMS is an SMS provider that is down.
type downSMS struct{}

func (downSMS) Send(context.Context, string, string, string) error { return errSMSDown }

// readCases reads every case back with its parties, and one material attached to a case.
func (sd *seeder) readCases() {
	db, w := sd.st.stack.DB, sd.w
	var rows []workflow.Case
	if err := db.NewSelect().Model(&rows).Order("c.id").Scan(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
	var parties []struct {
		bun.BaseModel `bun:"table:case_parties"`
		CaseID        int64
		UserID        int64
	}
	if err := db.NewSelect().Model(&parties).Scan(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
	for _, c := range rows {
		for _, p := range parties {
			if p.CaseID == c.ID {
				c.Parties = append(c.Parties, p.UserID)
			}
		}
		w.cases = append(w.cases, crawlCase{Case: c, edit: map[string]string{"establishment_application": "submit_establishment",
			"prep_supplement": "resubmit_prep", "est_supplement": "resubmit_est"}[c.State]})
	}
	var m crawlMaterial
	if err := db.NewSelect().TableExpr("materials").ColumnExpr("id, owner_id, case_id").Where("case_id IS NOT NULL").
		OrderExpr("id").Limit(1).Scan(sd.ctx, &m.id, &m.owner, &m.caseID); err != nil {
		sd.t.Fatal(err)
	}
	w.materials = append(w.materials, m)
	if err := db.NewSelect().Model(&w.documents).OrderExpr("id").Scan(sd.ctx); err != nil {
		sd.t.Fatal(err)
	}
}
