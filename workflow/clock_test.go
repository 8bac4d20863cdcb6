package workflow_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

const hashClock = "test-version-clock"

// clockItem is the test item with the legal clock: a clock over acceptance, review and decision that
// 补正 pauses (or restarts), an extension by the approver, and a timer that deems an unanswered
// supplement notice withdrawn after 30 calendar days.
func clockItem(hash string, restarts bool) *catalog.Item {
	it := testItem(hash, true)
	w := &it.Workflow
	w.Actions = append(w.Actions,
		catalog.Action{ID: "extend", Name: text("延长期限"), Kind: catalog.KindExtend, Clock: "prep",
			From: []string{"deciding"}, To: "deciding", By: []string{policies.Approver},
			Fields: []forms.Field{
				{Name: "days", Label: text("天数"), Type: forms.TypeInteger, Required: true},
				{Name: "reason", Label: text("理由"), Type: forms.TypeTextarea, Required: true},
			}},
		catalog.Action{ID: "deem_withdrawn", Name: text("视为撤回"), From: []string{"supplementing"}, To: "withdrawn",
			By:      []string{catalog.System},
			Effects: []catalog.Effect{{Notify: &catalog.NotifyEffect{To: catalog.Applicant, Template: "case_deemed_withdrawn"}}}},
	)
	w.Clocks = []catalog.Clock{{ID: "prep", Name: text("筹备审批"), States: []string{"accepting", "reviewing", "deciding"},
		Pauses: []string{"supplementing"}, Restarts: restarts,
		Statutory:     catalog.Period{Days: 60, Unit: catalog.CalendarDays},
		Promised:      catalog.Period{Days: 20, Unit: catalog.WorkingDays},
		RemindBefore:  &catalog.Period{Days: 3, Unit: catalog.WorkingDays},
		EscalateAfter: &catalog.Period{Days: 5, Unit: catalog.WorkingDays}}}
	w.Timers = []catalog.Timer{{State: "supplementing", After: catalog.Period{Days: 30, Unit: catalog.CalendarDays}, Action: "deem_withdrawn"}}
	return it
}

func day(s string) calendar.Date {
	d, err := calendar.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// at sets the fake clock to 09:00 in China on the day.
func (f *fixture) at(d string) { f.clock.Set(day(d).Time().Add(9 * time.Hour)) }

// clockFixture is a fixture whose current item has the legal clock, on 2026-09-24.
func clockFixture(t *testing.T, s *stacktest.Stack, restarts bool) *fixture {
	f := newFixture(t, s)
	hash := hashClock
	if restarts {
		hash += "-restarts" // catalog.Version caches by hash, process-wide
	}
	it := clockItem(hash, restarts)
	f.storeVersion(it)
	f.setCurrent(it)
	f.at("2026-09-24")
	return f
}

func (f *fixture) clocks(c *workflow.Case) []workflow.ClockView {
	f.t.Helper()
	v, err := f.eng.Get(f.ctx, f.actor(f.acceptor), c.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	if len(v.Clocks) != 1 {
		f.t.Fatalf("case has %d clocks, want 1: %+v", len(v.Clocks), v.Clocks)
	}
	return v.Clocks
}

func (f *fixture) supplement(c *workflow.Case) *workflow.Case {
	return f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "request_supplement", Comment: "名称不规范。",
		Items: []string{"name", "application_letter"}})
}

func (f *fixture) resubmit(c *workflow.Case) *workflow.Case {
	fixed := f.application(f.applicant)
	fixed["name"] = "沈阳市摄影协会"
	return f.apply(c, f.applicant, workflow.ApplyRequest{Action: "resubmit", Data: fixed})
}

func wantDue(t *testing.T, what string, k workflow.ClockView, status, statutory, promised string) {
	t.Helper()
	if k.Status != status || k.StatutoryDue != statutory || k.PromisedDue != promised {
		t.Fatalf("%s: clock %s statutory %s promised %s, want %s %s %s", what, k.Status, k.StatutoryDue, k.PromisedDue,
			status, statutory, promised)
	}
}

func TestClockStartsPausesResumesExtendsStops(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := clockFixture(t, s, false)
		cal := calendar.New(f.db)
		var c *workflow.Case

		// 20 working days from Thursday 24 September 2026 cross the National Day holiday.
		stacktest.Step(&f.t, "start", func(t *testing.T) {
			c = f.start()
			k := f.clocks(c)[0]
			wantDue(t, "started", k, workflow.ClockRunning, "2026-11-23", "2026-10-29")
			if k.StartedOn != "2026-09-24" || k.Name.ZH != "筹备审批" {
				t.Fatalf("started %+v", k)
			}
		})

		// 补正 on 12 October stops the clock.
		stacktest.Step(&f.t, "pause", func(t *testing.T) {
			f.at("2026-10-12")
			c = f.supplement(c)
			k := f.clocks(c)[0]
			if k.Status != workflow.ClockPaused || k.PausedOn != "2026-10-12" || len(k.Pauses) != 1 || k.Pauses[0].ResumedOn != "" {
				t.Fatalf("paused %+v", k)
			}
		})

		// 5 working days (13–16 and 19 October) and 7 plain days paused move the due dates on.
		stacktest.Step(&f.t, "resume", func(t *testing.T) {
			f.at("2026-10-19")
			c = f.resubmit(c)
			k := f.clocks(c)[0]
			promised, _ := cal.Due(f.ctx, day("2026-10-29"), 5, calendar.WorkingDays, shenyang)
			if promised.String() != "2026-11-05" {
				t.Fatalf("promised after the pause: %s", promised)
			}
			wantDue(t, "resumed", k, workflow.ClockRunning, "2026-11-30", "2026-11-05")
			if p := k.Pauses[0]; p.State != "supplementing" || p.PausedOn != "2026-10-12" || p.ResumedOn != "2026-10-19" {
				t.Fatalf("pause %+v", p)
			}
		})

		// Only the roles named extend, with days in range and a reason; the case stays where it is.
		stacktest.Step(&f.t, "extend", func(t *testing.T) {
			c = f.apply(c, f.acceptor, workflow.ApplyRequest{Action: "accept"})
			c = f.apply(c, f.reviewer, workflow.ApplyRequest{Action: "propose", Fields: map[string]any{"opinion": "符合条件"}})
			_, err := f.eng.Apply(f.ctx, f.actor(f.reviewer), c.ID, workflow.ApplyRequest{Action: "extend", ExpectedVersion: c.Version,
				Fields: map[string]any{"days": 10, "reason": "需要实地核查"}})
			wantProblem(t, err, problem.Forbidden, "")
			_, err = f.eng.Apply(f.ctx, f.actor(f.approver1), c.ID, workflow.ApplyRequest{Action: "extend", ExpectedVersion: c.Version,
				Fields: map[string]any{"days": 400, "reason": " "}})
			if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || len(p.Fields) != 2 {
				t.Fatalf("bad extension: %v", err)
			}
			c = f.apply(c, f.approver1, workflow.ApplyRequest{Action: "extend", Fields: map[string]any{"days": 10, "reason": "需要实地核查"}})
			if c.State != "deciding" {
				t.Fatalf("extension moved the case to %s", c.State)
			}
			k := f.clocks(c)[0]
			// Statutory: 30 November + 10 days = 10 December (a Thursday); promised: 10 working days on.
			wantDue(t, "extended", k, workflow.ClockRunning, "2026-12-10", "2026-11-19")
			if k.ExtendedDays != 10 {
				t.Fatalf("extended_days %d", k.ExtendedDays)
			}
		})

		// The events record the extension and the clock's changes.
		stacktest.Step(&f.t, "timeline", func(t *testing.T) {
			v, err := f.eng.Get(f.ctx, f.actor(f.acceptor), c.ID)
			if err != nil {
				t.Fatal(err)
			}
			ext, _ := v.Events[len(v.Events)-1].Changes["extension"].(map[string]any)
			if ext["reason"] != "需要实地核查" || fmt.Sprint(ext["days"]) != "10" {
				t.Fatalf("extension event %v", v.Events[len(v.Events)-1].Changes)
			}
			var seen []string
			for _, ev := range v.Events {
				if cl, ok := ev.Changes["clocks"].([]any); ok {
					for _, x := range cl {
						m := x.(map[string]any)
						for _, what := range []string{"started", "paused", "resumed", "stopped"} {
							if d, ok := m[what]; ok {
								seen = append(seen, what+" "+d.(string))
							}
						}
					}
				}
			}
			if want := []string{"started 2026-09-24", "paused 2026-10-12", "resumed 2026-10-19"}; !slices.Equal(seen, want) {
				t.Fatalf("timeline %v, want %v", seen, want)
			}
		})

		// The decision stops the clock.
		stacktest.Step(&f.t, "stop", func(t *testing.T) {
			f.at("2026-11-02")
			c = f.apply(c, f.approver1, workflow.ApplyRequest{Action: "approve", Fields: map[string]any{"decision_number": "1号"}})
			c = f.apply(c, f.approver2, workflow.ApplyRequest{Action: "approve", Fields: map[string]any{"decision_number": "1号"}})
			k := f.clocks(c)[0]
			if k.Status != workflow.ClockStopped || k.StoppedOn != "2026-11-02" {
				t.Fatalf("after the decision: %+v", k)
			}
			if f.count("case_clocks", "case_id = ? AND status = 'stopped'", c.ID) != 1 {
				t.Fatal("clock not stopped in the table")
			}
		})
	})
}

func TestClockRestartsAfterPause(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := clockFixture(t, s, true)
		c := f.start()
		f.at("2026-10-12")
		c = f.supplement(c)
		f.at("2026-10-19")
		c = f.resubmit(c)
		k := f.clocks(c)[0]
		// The limits run again in full from 19 October: 60 days → 18 December, 20 working days → 16 November.
		wantDue(t, "restarted", k, workflow.ClockRunning, "2026-12-18", "2026-11-16")
		if len(k.Pauses) != 1 || k.Pauses[0].ResumedOn != "2026-10-19" {
			t.Fatalf("pauses %+v", k.Pauses)
		}
	})
}

func TestTimerFiresAfterPeriodAndSurvivesRestart(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := clockFixture(t, s, false)
		c := f.start()
		c = f.supplement(c)
		// 30 days from 24 September: 24 October is a Saturday, so the period ends on Monday 26 October
		// and the timer fires at the start of the 27th.
		var due time.Time
		if err := f.db.NewSelect().Table("timers").Column("due_at").Where("case_id = ? AND cancelled_at IS NULL", c.ID).Scan(f.ctx, &due); err != nil {
			t.Fatal(err)
		}
		if want := day("2026-10-27").Time(); !due.Equal(want) {
			t.Fatalf("timer due %v, want %v", due, want)
		}
		// No person can take the system's action.
		_, err := f.eng.Apply(f.ctx, f.actor(f.acceptor), c.ID, workflow.ApplyRequest{Action: "deem_withdrawn", ExpectedVersion: c.Version})
		wantProblem(t, err, problem.Forbidden, "")
		if n, err := f.eng.FireDueTimers(f.ctx, day("2026-10-27").Time().Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("before the due time: fired %d, %v", n, err)
		}

		// A restart: a new engine over the same database fires the timer.
		eng2 := workflow.New(f.db, f.enf, func(ctx context.Context, hash string) (*catalog.Item, error) {
			return catalog.Version(ctx, f.db, hash)
		}, func(string) (*catalog.Item, bool) { return nil, false })
		if n, err := eng2.FireDueTimers(f.ctx, day("2026-10-27").Time()); err != nil || n != 1 {
			t.Fatalf("at the due time: fired %d, %v", n, err)
		}
		if n, err := eng2.FireDueTimers(f.ctx, day("2026-10-28").Time()); err != nil || n != 0 {
			t.Fatalf("again: fired %d, %v", n, err)
		}
		f.at("2026-10-27")
		v, err := f.eng.Get(f.ctx, f.actor(f.acceptor), c.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := v.Events[len(v.Events)-1]
		if v.Case.State != "withdrawn" || v.Case.Outcome != "withdrawn" || last.Action != "deem_withdrawn" || last.Actor != "system" || last.ActorUserID != nil {
			t.Fatalf("after the timer: %s %s, last event %+v", v.Case.State, v.Case.Outcome, last)
		}
		if v.Clocks[0].Status != workflow.ClockStopped || v.Clocks[0].Pauses[0].ResumedOn != "2026-10-27" {
			t.Fatalf("clock after the withdrawal %+v", v.Clocks[0])
		}
		if n := f.count("outbox", "user_id = ? AND template = 'case_deemed_withdrawn' AND channel = 'inbox'", f.applicant); n != 1 {
			t.Fatalf("%d withdrawal notices", n)
		}
		if f.count("timers", "case_id = ? AND fired_at IS NOT NULL", c.ID) != 1 {
			t.Fatal("timer not marked fired")
		}
	})
}

func TestTimerCancelledWhenTheCaseLeavesTheState(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := clockFixture(t, s, false)
		c := f.start()
		c = f.supplement(c)
		f.at("2026-10-10")
		c = f.resubmit(c)
		if f.count("timers", "case_id = ? AND cancelled_at IS NOT NULL AND fired_at IS NULL", c.ID) != 1 {
			t.Fatal("the timer was not cancelled when the case left the state")
		}
		if n, err := f.eng.FireDueTimers(f.ctx, day("2026-12-01").Time()); err != nil || n != 0 {
			t.Fatalf("fired %d, %v", n, err)
		}
		// Entering the state again schedules a new timer from that day.
		f.at("2026-10-12")
		c = f.supplement(c)
		if f.count("timers", "case_id = ? AND cancelled_at IS NULL AND fired_at IS NULL", c.ID) != 1 {
			t.Fatal("no new timer")
		}
		// 30 days from 12 October: Wednesday 11 November.
		if n, err := f.eng.FireDueTimers(f.ctx, day("2026-11-12").Time().Add(-time.Second)); err != nil || n != 0 {
			t.Fatalf("fired early: %d, %v", n, err)
		}
		if n, err := f.eng.FireDueTimers(f.ctx, day("2026-11-12").Time()); err != nil || n != 1 {
			t.Fatalf("fired %d, %v", n, err)
		}
	})
}

func TestTwoWorkersRaceForTimers(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := clockFixture(t, s, false)
		const cases = 4
		var ids []int64
		for range cases {
			ids = append(ids, f.supplement(f.start()).ID)
		}
		engines := []*workflow.Engine{f.eng, workflow.New(f.db, f.enf, func(ctx context.Context, hash string) (*catalog.Item, error) {
			return catalog.Version(ctx, f.db, hash)
		}, func(string) (*catalog.Item, bool) { return nil, false })}
		var wg sync.WaitGroup
		var mu sync.Mutex
		total := 0
		for i := range 4 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := engines[i%2].FireDueTimers(f.ctx, day("2026-10-27").Time())
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				total += n
				mu.Unlock()
			}()
		}
		wg.Wait()
		if total != cases {
			t.Fatalf("fired %d timers in all, want %d", total, cases)
		}
		for _, id := range ids {
			if n := f.count("case_events", "case_id = ? AND action = 'deem_withdrawn'", id); n != 1 {
				t.Fatalf("case %d: %d withdrawals", id, n)
			}
		}
	})
}

func TestRemindersOnceAndEscalation(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := clockFixture(t, s, false)
		province := f.user("province.approver", policies.Approver, liaoning)
		c := f.start() // promised 2026-10-29, statutory 2026-11-23
		send := func(d string, want int) {
			f.t.Helper()
			f.at(d)
			n, err := f.eng.SendClockNotices(f.ctx, f.clock.Now())
			if err != nil || n != want {
				f.t.Fatalf("%s: sent %d notices (%v), want %d", d, n, err, want)
			}
		}
		notices := func(user int64, template string) int {
			return f.count("outbox", "user_id = ? AND template = ? AND channel = 'inbox'", user, template)
		}

		// Once, 3 working days before the promised 29 October, to those who may act in the case's state.
		stacktest.Step(&f.t, "reminder", func(t *testing.T) {
			send("2026-10-20", 0)
			send("2026-10-26", 1)
			send("2026-10-26", 0)
			send("2026-10-27", 0)
			if notices(f.acceptor, "clock_reminder") != 1 || notices(f.reviewer, "clock_reminder") != 0 || notices(f.dalianAcceptor, "clock_reminder") != 0 {
				t.Fatal("the reminder goes once to those who may act in the case's state")
			}
		})

		// Once, the day after the statutory due date, to the approvers of the case's jurisdiction.
		stacktest.Step(&f.t, "overdue level 1", func(t *testing.T) {
			send("2026-11-23", 0) // the statutory due date itself is not late
			send("2026-11-24", 1)
			send("2026-11-24", 0)
			if notices(f.approver1, "clock_overdue") != 1 || notices(f.approver2, "clock_overdue") != 1 || notices(province, "clock_overdue") != 0 {
				t.Fatal("overdue level 1 goes to the approvers of the case's jurisdiction")
			}
		})

		// The inbox shows the due dates and can keep the overdue cases; so do the applicant's cases.
		stacktest.Step(&f.t, "lists", func(t *testing.T) {
			in, err := f.eng.Inbox(f.ctx, f.acceptor, workflow.InboxFilter{Overdue: true, Sort: workflow.SortDue})
			if err != nil || len(in) != 1 || in[0].Due == nil || in[0].Due.Statutory != "2026-11-23" || !in[0].Due.StatutoryOverdue {
				t.Fatalf("overdue inbox %+v, %v", in, err)
			}
			mine, err := f.eng.MyCases(f.ctx, f.applicant, 0)
			if err != nil || len(mine) != 1 || mine[0].Due == nil || mine[0].Due.Promised != "2026-10-29" {
				t.Fatalf("my cases %+v, %v", mine, err)
			}
		})

		// Once, 5 working days later, to the approvers of the jurisdiction above.
		stacktest.Step(&f.t, "overdue level 2", func(t *testing.T) {
			send("2026-11-30", 0)
			send("2026-12-01", 1)
			send("2026-12-02", 0)
			if notices(province, "clock_overdue") != 1 || notices(f.approver1, "clock_overdue") != 1 {
				t.Fatal("overdue level 2 goes once to the approvers of the jurisdiction above")
			}
		})

		// A withdrawn case is overdue no more.
		stacktest.Step(&f.t, "closed case", func(t *testing.T) {
			c = f.apply(c, f.applicant, workflow.ApplyRequest{Action: "withdraw"})
			if c.State != "withdrawn" {
				t.Fatal(c.State)
			}
			in, err := f.eng.Inbox(f.ctx, f.acceptor, workflow.InboxFilter{Overdue: true})
			if err != nil || len(in) != 0 {
				t.Fatalf("inbox after withdrawal %+v, %v", in, err)
			}
		})
	})
}

// The inbox reads its cases' due dates in its own statement; they are those every other list shows
// (read apart, for the search's page): a running clock, a paused one without a promised date, a case
// whose only clock stopped, and one whose stopped clock was followed by a running one.
func TestInboxDueAsOtherLists(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		f := clockFixture(t, s, false)
		cases := []*workflow.Case{f.start(), f.start(), f.start(), f.start()}
		exec := func(q string, args ...any) {
			t.Helper()
			if _, err := f.db.ExecContext(f.ctx, q, args...); err != nil {
				t.Fatal(err)
			}
		}
		exec("UPDATE case_clocks SET status = 'paused', promised_due = '' WHERE case_id = ?", cases[1].ID)
		exec("UPDATE case_clocks SET status = 'stopped' WHERE case_id IN (?, ?)", cases[2].ID, cases[3].ID)
		exec(`INSERT INTO case_clocks (case_id, clock, status, started_on, statutory_due, promised_due)
			SELECT case_id, clock, 'running', '2026-10-01', '2026-12-01', '2026-11-01' FROM case_clocks WHERE case_id = ?`, cases[3].ID)
		f.at("2026-11-02") // the last case's promised date is past
		in, err := f.eng.Inbox(f.ctx, f.acceptor, workflow.InboxFilter{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := f.eng.Search(f.ctx, f.acceptor, workflow.SearchQuery{})
		if err != nil {
			t.Fatal(err)
		}
		if len(in) != len(cases) || len(res.Cases) != len(cases) {
			t.Fatalf("%d cases in the inbox, %d found, want %d", len(in), len(res.Cases), len(cases))
		}
		want := map[int64]*workflow.CaseDue{}
		for _, c := range res.Cases {
			want[c.ID] = c.Due
		}
		for _, c := range in {
			if !reflect.DeepEqual(c.Due, want[c.ID]) {
				t.Errorf("case %d: the inbox's due %+v, the search's %+v", c.ID, c.Due, want[c.ID])
			}
		}
		if want[cases[2].ID] != nil || want[cases[3].ID] == nil || !want[cases[3].ID].PromisedOverdue || want[cases[1].ID].Status != "paused" {
			t.Errorf("the search's due dates %+v", want)
		}
	})
}
