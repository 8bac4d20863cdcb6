package workflow_test

import (
	"testing"
	"time"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

const divorceItem = "divorce-registration"

// divorce is a fixture with the built-in items booked at registration offices and a couple: wife
// books, husband is the partner named in the booking.
type divorce struct {
	*fixture
	wife, husband, stranger int64
}

func newDivorce(t *testing.T, s *stacktest.Stack) *divorce {
	f := newFixture(t, s)
	cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
	if err != nil {
		t.Fatal(err)
	}
	if err := cat.Store(f.ctx, f.db); err != nil {
		t.Fatal(err)
	}
	for _, it := range cat.Items() {
		f.setCurrent(it)
	}
	return &divorce{fixture: f,
		wife:     f.user("wife", policies.Citizen, "*"),
		husband:  f.user("husband", policies.Citizen, "*"),
		stranger: f.user("stranger", policies.Citizen, "*"),
	}
}

// booking is the registration form as the office fills it in from a booking.
func booking() map[string]any {
	return map[string]any{
		"booker_name": "王芳", "booker_id_number": "11010519491231002X",
		"partner_name": "张伟", "partner_id_number": "110101200001011232", "booking_code": "K7M2Q9XR",
	}
}

// accept has the acceptor start the couple's divorce case at the window of Heping on the day and
// issue the receipt (day 0 of the cooling-off).
func (d *divorce) accept(on string) *workflow.Case {
	d.t.Helper()
	d.at(on)
	c, err := d.eng.Start(d.ctx, d.actor(d.acceptor), divorceItem, heping, booking(), workflow.OnBehalfOf(d.wife, d.husband))
	if err != nil {
		d.t.Fatalf("Start: %v", err)
	}
	if c.ApplicantID != d.wife || len(c.Parties) != 1 || c.Parties[0] != d.husband || c.State != "accepted" {
		d.t.Fatalf("started %+v", c)
	}
	return d.apply(c, d.acceptor, workflow.ApplyRequest{Action: "issue_receipt"})
}

// runAt runs the worker's legal-clock work at the moment.
func (d *divorce) runAt(at time.Time) {
	d.t.Helper()
	d.clock.Set(at)
	if err := d.eng.RunClock(d.ctx, at); err != nil {
		d.t.Fatal(err)
	}
}

// midnight is the start of the day in China.
func midnight(s string) time.Time { return day(s).Time() }

func (d *divorce) get(user int64, c *workflow.Case) *workflow.View {
	d.t.Helper()
	v, err := d.eng.Get(d.ctx, d.actor(user), c.ID)
	if err != nil {
		d.t.Fatalf("Get by %d: %v", user, err)
	}
	return v
}

func (d *divorce) wantClock(c *workflow.Case, id, status, started, due string) {
	d.t.Helper()
	k, err := d.eng.Clock(d.ctx, c.ID, id)
	if err != nil || k == nil || k.Status != status || k.StartedOn != started || k.StatutoryDue != due {
		d.t.Fatalf("clock %s: %+v, %v; want %s from %s to %s", id, k, err, status, started, due)
	}
}

func (d *divorce) notices(user int64, template string) int {
	return d.count("outbox", "user_id = ? AND template = ? AND channel = 'inbox'", user, template)
}

// The cooling-off whose 30th day falls in the National Day holiday of 2027 ends on the first working
// day after it; the timer opens the confirmation window the next day, the window runs 30 days from
// there, and confirming and issuing the certificate closes the case. Both spouses are the case's.
func TestDivorceCoolingOffAcrossNationalDay(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		d := newDivorce(t, s)
		var c *workflow.Case
		var v *workflow.View

		// Receipt on Thursday 2 September 2027: day 30 is Saturday 2 October, in the holiday
		// (1–7 October), so the cooling-off ends on Friday 8 October (民法典 art. 203).
		stacktest.Step(&d.t, "receipt", func(t *testing.T) {
			c = d.accept("2027-09-02")
			if c.State != "cooling_off" {
				t.Fatalf("after the receipt: %s", c.State)
			}
			d.wantClock(c, "cooling_off", workflow.ClockRunning, "2027-09-02", "2027-10-08")
			if k, err := d.eng.Clock(d.ctx, c.ID, "confirmation"); k != nil || err != nil {
				t.Fatalf("the confirmation window before it opens: %+v, %v", k, err)
			}
			if d.notices(d.wife, "divorce_cooling_off") != 1 || d.notices(d.husband, "divorce_cooling_off") != 1 {
				t.Fatal("both spouses are told of the cooling-off")
			}
		})

		// The last day of the cooling-off, late in the evening, nothing happens yet. The first moment of
		// the next day the window opens, from that day to its 30th day counted from the end of the
		// cooling-off: Sunday 7 November, so Monday 8 November.
		stacktest.Step(&d.t, "window opens", func(t *testing.T) {
			d.runAt(midnight("2027-10-09").Add(-time.Minute))
			if v := d.get(d.wife, c); v.Case.State != "cooling_off" {
				t.Fatalf("on the last day of the cooling-off: %s", v.Case.State)
			}
			d.runAt(midnight("2027-10-09"))
			v = d.get(d.wife, c)
			if v.Case.State != "confirmation" {
				t.Fatalf("after the cooling-off: %s", v.Case.State)
			}
			d.wantClock(c, "cooling_off", workflow.ClockStopped, "2027-09-02", "2027-10-08")
			d.wantClock(c, "confirmation", workflow.ClockRunning, "2027-10-09", "2027-11-08")
			if d.notices(d.wife, "divorce_confirmation_open") != 1 || d.notices(d.husband, "divorce_confirmation_open") != 1 {
				t.Fatal("both spouses are told the window is open")
			}
		})

		// Both spouses see the case, as theirs; nobody else does, and a spouse cannot confirm for the office.
		stacktest.Step(&d.t, "who sees it", func(t *testing.T) {
			for _, u := range []int64{d.wife, d.husband} {
				mine, err := d.eng.MyCases(d.ctx, u, 0)
				if err != nil || len(mine) != 1 || mine[0].ID != c.ID || len(mine[0].Parties) != 1 {
					t.Fatalf("my cases of %d: %+v, %v", u, mine, err)
				}
			}
			if _, err := d.eng.Get(d.ctx, d.actor(d.stranger), c.ID); !problem.Is(err, problem.NotFound) {
				t.Fatalf("a stranger reads the case: %v", err)
			}
			if mine, err := d.eng.MyCases(d.ctx, d.stranger, 0); err != nil || len(mine) != 0 {
				t.Fatalf("my cases of a stranger: %+v, %v", mine, err)
			}
			_, err := d.eng.Apply(d.ctx, d.actor(d.husband), c.ID, workflow.ApplyRequest{Action: "confirm", ExpectedVersion: v.Case.Version})
			if !problem.Is(err, problem.Forbidden) {
				t.Fatalf("a spouse confirms: %v", err)
			}
		})

		// They appear on 20 October; the clerk checks them in and the certificate is issued.
		stacktest.Step(&d.t, "certificate", func(t *testing.T) {
			d.at("2027-10-20")
			c = d.apply(v.Case, d.acceptor, workflow.ApplyRequest{Action: "confirm"})
			c = d.apply(c, d.approver1, workflow.ApplyRequest{Action: "issue_certificate"})
			if c.State != "issued" || c.Outcome != "approved" {
				t.Fatalf("after the certificate: %s %s", c.State, c.Outcome)
			}
			d.wantClock(c, "confirmation", workflow.ClockStopped, "2027-10-09", "2027-11-08")
			v = d.get(d.husband, c)
			if len(v.Documents) != 2 || v.Documents[0].Kind != "divorce_acceptance_receipt" || v.Documents[1].Kind != "divorce_certificate" {
				t.Fatalf("documents %+v", v.Documents)
			}
			if d.notices(d.wife, "marriage_registered") != 1 || d.notices(d.husband, "marriage_registered") != 1 {
				t.Fatal("both spouses are told of the certificate")
			}
			// The start event names the clerk; nothing was overdue for the office at any time.
			if ev := v.Events[0]; ev.Action != "start" || ev.ActorUserID == nil || *ev.ActorUserID != d.acceptor {
				t.Fatalf("start event %+v", ev)
			}
			if n := d.count("outbox", "template = ?", workflow.OverdueTemplate); n != 0 {
				t.Fatalf("%d overdue notices", n)
			}
		})
	})
}

// Nobody answers within the window: the timer deems the application withdrawn on the day after the
// window's last day, moved past the National Day holiday; the window counts from the end of the
// cooling-off even when the worker opened it late, and its clocks never escalate.
func TestDivorceDeemedWithdrawnAfterTheWindow(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		d := newDivorce(t, s)
		// Receipt on Wednesday 4 August 2027: the cooling-off ends on Friday 3 September; the
		// window's 30th day is Sunday 3 October, in the holiday, so it ends on Friday 8 October.
		c := d.accept("2027-08-04")
		d.wantClock(c, "cooling_off", workflow.ClockRunning, "2027-08-04", "2027-09-03")
		// The worker was down over the weekend: it opens the window on Monday 6 September, but the
		// window is the law's, from Saturday 4 September.
		d.runAt(midnight("2027-09-06").Add(10 * time.Hour))
		d.wantClock(c, "confirmation", workflow.ClockRunning, "2027-09-04", "2027-10-08")

		// Past the due date a notice run alone sends nothing: these clocks do not escalate.
		d.clock.Set(midnight("2027-10-11"))
		if n, err := d.eng.SendClockNotices(d.ctx, midnight("2027-10-11")); n != 0 || err != nil {
			t.Fatalf("clock notices: %d, %v", n, err)
		}
		d.clock.Set(midnight("2027-10-08"))

		d.runAt(midnight("2027-10-09").Add(-time.Second))
		if v := d.get(d.wife, c); v.Case.State != "confirmation" {
			t.Fatalf("on the window's last day: %s", v.Case.State)
		}
		d.runAt(midnight("2027-10-09"))
		v := d.get(d.husband, c)
		if v.Case.State != "deemed_withdrawn" || v.Case.Outcome != "withdrawn" {
			t.Fatalf("after the window: %s %s", v.Case.State, v.Case.Outcome)
		}
		d.wantClock(c, "confirmation", workflow.ClockStopped, "2027-09-04", "2027-10-08")
		if d.notices(d.wife, "divorce_deemed_withdrawn") != 1 || d.notices(d.husband, "divorce_deemed_withdrawn") != 1 {
			t.Fatal("both spouses are told")
		}
		d.runAt(midnight("2027-12-01"))
		if n := d.count("outbox", "template = ?", workflow.OverdueTemplate); n != 0 {
			t.Fatalf("%d overdue notices", n)
		}
	})
}

// The partner named in the booking, not the applicant, withdraws online during the cooling-off; the
// timer then does nothing.
func TestDivorcePartyWithdrawsOnline(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		d := newDivorce(t, s)
		c := d.accept("2027-09-02")
		v := d.get(d.husband, c)
		if len(v.Allowed) != 1 || v.Allowed[0].ID != "withdraw" {
			t.Fatalf("the partner may take %+v", v.Allowed)
		}
		// During the holiday, online.
		d.at("2027-10-05")
		c = d.apply(c, d.husband, workflow.ApplyRequest{Action: "withdraw", Comment: "不离了"})
		if c.State != "withdrawn" || c.Outcome != "withdrawn" {
			t.Fatalf("after the withdrawal: %s", c.State)
		}
		if d.notices(d.wife, "case_withdrawn") != 1 || d.notices(d.husband, "case_withdrawn") != 1 {
			t.Fatal("both spouses are told of the withdrawal")
		}
		d.runAt(midnight("2027-10-09"))
		if v := d.get(d.wife, c); v.Case.State != "withdrawn" {
			t.Fatalf("the timer moved a withdrawn case: %s", v.Case.State)
		}
		if k, err := d.eng.Clock(d.ctx, c.ID, "confirmation"); k != nil || err != nil {
			t.Fatalf("a confirmation window on a withdrawn case: %+v, %v", k, err)
		}
	})
}

// An office withdrawal records who withdrew; a stranger cannot withdraw.
func TestDivorceWithdrawalAtTheOffice(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		d := newDivorce(t, s)
		c := d.accept("2027-09-02")
		_, err := d.eng.Apply(d.ctx, d.actor(d.stranger), c.ID, workflow.ApplyRequest{Action: "withdraw", ExpectedVersion: c.Version})
		if !problem.Is(err, problem.NotFound) {
			t.Fatalf("a stranger withdraws: %v", err)
		}
		_, err = d.eng.Apply(d.ctx, d.actor(d.acceptor), c.ID, workflow.ApplyRequest{Action: "withdraw_at_office", ExpectedVersion: c.Version})
		wantPaths(t, err, "fields.party=required")
		c = d.apply(c, d.acceptor, workflow.ApplyRequest{Action: "withdraw_at_office",
			Fields: map[string]any{"party": "partner", "note": "男方到场书面撤回"}})
		if c.State != "withdrawn" || c.Fields["party"] != "partner" {
			t.Fatalf("after the office withdrawal: %s %v", c.State, c.Fields)
		}
	})
}

// Items booked at an office start only there, by a clerk who is none of the people, and such a
// clerk cannot act on the case either.
func TestBookedItemsStartAtTheOffice(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		d := newDivorce(t, s)
		d.at("2027-09-02")
		for _, code := range []string{divorceItem, "marriage-registration", "marriage-certificate-replacement"} {
			_, err := d.eng.Start(d.ctx, d.actor(d.wife), code, heping, booking())
			wantProblem(t, err, problem.Conflict, "apply_by_appointment")
		}
		// Filing for others is only for booked items.
		_, err := d.eng.Start(d.ctx, d.actor(d.acceptor), itemCode, shenyang, d.application(d.applicant), workflow.OnBehalfOf(d.applicant))
		wantProblem(t, err, problem.Conflict, "not_by_appointment")
		// Only a clerk who checks people in files for them.
		_, err = d.eng.Start(d.ctx, d.actor(d.reviewer), divorceItem, heping, booking(), workflow.OnBehalfOf(d.wife, d.husband))
		wantProblem(t, err, problem.Forbidden, "")
		_, err = d.eng.Start(d.ctx, d.actor(d.dalianAcceptor), divorceItem, heping, booking(), workflow.OnBehalfOf(d.wife, d.husband))
		wantProblem(t, err, problem.Forbidden, "")

		// A clerk who is the partner cannot file the case, nor act on it once a colleague has.
		clerk := d.user("clerk.husband", policies.Acceptor, "2101*")
		_, err = d.eng.Start(d.ctx, d.actor(clerk), divorceItem, heping, booking(), workflow.OnBehalfOf(d.wife, clerk))
		wantProblem(t, err, problem.Forbidden, "own_case")
		_, err = d.eng.Start(d.ctx, d.actor(clerk), divorceItem, heping, booking(), workflow.OnBehalfOf(clerk, d.wife))
		wantProblem(t, err, problem.Forbidden, "own_case")
		c, err := d.eng.Start(d.ctx, d.actor(d.acceptor), divorceItem, heping, booking(), workflow.OnBehalfOf(d.wife, clerk))
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.eng.Apply(d.ctx, d.actor(clerk), c.ID, workflow.ApplyRequest{Action: "issue_receipt", ExpectedVersion: c.Version})
		wantProblem(t, err, problem.Forbidden, "")
		v := d.get(clerk, c) // the clerk reads it as a party: no staff read for the audit log
		if len(v.Allowed) != 0 {
			t.Fatalf("the clerk who is a party may take %+v", v.Allowed)
		}
		if n := d.count("audit_log", "action = 'case.read' AND actor_user_id = ?", clerk); n != 0 {
			t.Fatalf("the party's read was audited as a staff read %d times", n)
		}
		// Bad data from the booking is a field error and writes nothing.
		bad := booking()
		bad["partner_id_number"] = "110101200001011233"
		_, err = d.eng.Start(d.ctx, d.actor(d.acceptor), divorceItem, heping, bad, workflow.OnBehalfOf(d.wife, d.husband))
		wantPaths(t, err, "partner_id_number=id_card_check")
		if n := d.count("cases", "item_code = ?", divorceItem); n != 1 {
			t.Fatalf("%d divorce cases", n)
		}
	})
}

// A marriage registered at the window: both spouses are told, and the certificate is issued.
func TestMarriageRegisteredAtTheWindow(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		d := newDivorce(t, s)
		d.at("2027-05-20")
		c, err := d.eng.Start(d.ctx, d.actor(d.acceptor), "marriage-registration", heping, booking(), workflow.OnBehalfOf(d.husband, d.wife))
		if err != nil {
			t.Fatal(err)
		}
		c = d.apply(c, d.acceptor, workflow.ApplyRequest{Action: "register"})
		if c.State != "registered" || c.Outcome != "approved" {
			t.Fatalf("after registration: %s", c.State)
		}
		if d.notices(d.wife, "marriage_registered") != 1 || d.notices(d.husband, "marriage_registered") != 1 {
			t.Fatal("both spouses are told")
		}
		if n := d.count("documents", "case_id = ? AND kind = 'marriage_certificate'", c.ID); n != 1 {
			t.Fatalf("%d certificates", n)
		}
	})
}
