package inquiries_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/demo"
	"github.com/civicflow/civicflow/inquiries"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

// at is an instant of a day in China.
func at(t *testing.T, day string) time.Time {
	t.Helper()
	d, err := calendar.ParseDate(day)
	if err != nil {
		t.Fatal(err)
	}
	return d.Time().Add(10 * time.Hour)
}

// The due date is the limit's working day after the day of receipt on the national schedule: a
// question received on 2026-09-24 runs over 中秋 and 国庆 and counts the make-up Saturday 10-10.
func TestDueDateOnTheNationalSchedule(t *testing.T) {
	s, err := calendar.New(nil).For(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		received string
		days     int
		want     string
	}{
		{"2026-09-24", inquiries.DefaultLimits[inquiries.KindQuestion], "2026-10-09"},
		{"2026-09-24", inquiries.DefaultLimits[inquiries.KindComplaint], "2026-10-22"},
		{"2026-09-24", 20, "2026-10-29"}, // domain.md §7's worked example
		{"2026-10-03", 1, "2026-10-08"},  // received on a holiday
		{"2026-10-09", 1, "2026-10-10"},  // the make-up Saturday counts
		{"2026-02-13", 5, "2026-02-27"},  // the make-up Saturday 02-14, then over 春节
	} {
		d, _ := calendar.ParseDate(tc.received)
		got, err := inquiries.DueDate(s, d, tc.days)
		if err != nil || got.String() != tc.want {
			t.Errorf("%d working days from %s: %s %v, want %s", tc.days, tc.received, got, err, tc.want)
		}
	}
}

// office is an Office on the stack with the demo jurisdictions, its clock set to now.
func office(t *testing.T, s *stacktest.Stack, now *time.Time, limits map[string]int) (*inquiries.Office, *policies.Enforcer) {
	t.Helper()
	ctx := context.Background()
	for _, j := range demo.Jurisdictions {
		if err := jurisdictions.Add(ctx, s.DB, j.Code, j.NameZH, j.NameEN); err != nil {
			t.Fatal(err)
		}
	}
	enf, err := policies.New(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	return inquiries.New(s.DB, enf, inquiries.Options{Limits: limits, PerIP: 100, PerAccount: 100, Window: time.Hour,
		Lookups: accounts.GuessLimit{Max: 10, Window: time.Hour}, Now: func() time.Time { return *now }}), enf
}

// A submission's due date follows the handling jurisdiction's calendar (a local closure moves it)
// and the configured limit of its kind; a complaint without a contact is refused.
func TestSubmissionDueDates(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		now := at(t, "2026-09-24")
		o, _ := office(t, s, &now, map[string]int{inquiries.KindSuggestion: 3})
		if _, err := calendar.SetOverride(ctx, s.DB, calendar.Operator, audit.Actor{Label: "test"}, "210100", "2026-10-09", "closed", "停电"); err != nil {
			t.Fatal(err)
		}
		anon := audit.Actor{IP: "192.0.2.1"}
		for _, tc := range []struct {
			kind, jurisdiction, want string
		}{
			{inquiries.KindQuestion, "210100", "2026-10-10"}, // Shenyang closed on the 9th
			{inquiries.KindQuestion, "210102", "2026-10-10"}, // and so its county Heping
			{inquiries.KindQuestion, "210200", "2026-10-09"}, // Dalian was open
			{inquiries.KindComplaint, "210200", "2026-10-22"},
			{inquiries.KindSuggestion, "210200", "2026-09-30"}, // configured to 3
		} {
			r, err := o.Submit(ctx, anon, inquiries.Submission{Kind: tc.kind, Jurisdiction: tc.jurisdiction, Title: "标题",
				Body: "内容", Contact: "13800138000"})
			if err != nil || r.Inquiry.DueOn != tc.want || r.Secret == "" || r.Inquiry.Number == "" {
				t.Errorf("%s in %s: %+v %v, want due %s", tc.kind, tc.jurisdiction, r, err, tc.want)
			}
		}
		_, err := o.Submit(ctx, anon, inquiries.Submission{Kind: inquiries.KindComplaint, Jurisdiction: "210100", Title: "标题", Body: "内容"})
		if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || len(p.Fields) != 1 || p.Fields[0].Path != "contact" {
			t.Errorf("a complaint without a contact: %v", err)
		}
	})
}

// The counts of a year: received, answered and answered on time per jurisdiction and kind; two
// workers ticking at once send each notice once.
func TestCountsAndNoticesOnce(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		now := at(t, "2026-09-24")
		o, enf := office(t, s, &now, nil)
		staff, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "iq.acceptor", Password: "iq.acceptor-password"})
		if err != nil {
			t.Fatal(err)
		}
		if err := policies.GrantSystem(ctx, s.DB, staff.ID, "acceptor", "2101*"); err != nil {
			t.Fatal(err)
		}
		if err := enf.Reload(ctx); err != nil {
			t.Fatal(err)
		}
		var ids []int64
		for _, kind := range []string{inquiries.KindQuestion, inquiries.KindQuestion, inquiries.KindComplaint} {
			r, err := o.Submit(ctx, audit.Actor{IP: "192.0.2.2"}, inquiries.Submission{Kind: kind, Jurisdiction: "210100",
				Title: "标题", Body: "内容", Contact: "a@example.cn"})
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, r.Inquiry.ID)
		}
		actor := audit.Actor{UserID: staff.ID, Label: "iq.acceptor"}
		if _, err := o.Reply(ctx, actor, ids[0], "答复。"); err != nil { // on time
			t.Fatal(err)
		}
		now = at(t, "2026-10-12") // after the question's due date, 10-09
		if _, err := o.Reply(ctx, actor, ids[1], "迟到的答复。"); err != nil {
			t.Fatal(err)
		}
		if _, err := o.Reply(ctx, actor, ids[1], "再答一次。"); !problem.Is(err, problem.Conflict) {
			t.Errorf("a second reply: %v", err)
		}
		counts, err := inquiries.Counts(ctx, s.DB, 2026, "2101")
		if err != nil {
			t.Fatal(err)
		}
		want := []inquiries.Count{{Jurisdiction: "210100", Kind: "complaint", Received: 1}, {Jurisdiction: "210100", Kind: "question", Received: 2, Answered: 2, OnTime: 1}}
		if len(counts) != 2 || counts[0] != want[0] || counts[1] != want[1] {
			t.Errorf("counts: %+v, want %+v", counts, want)
		}
		if other, err := inquiries.Counts(ctx, s.DB, 2025, ""); err != nil || len(other) != 0 {
			t.Errorf("counts of 2025: %+v %v", other, err)
		}

		// The complaint, due 10-22, is overdue on 11-02 by 7 working days: the reminder and both
		// levels are due, and two workers send them once between them.
		var wg sync.WaitGroup
		sent := make([]int, 2)
		for i := range sent {
			wg.Add(1)
			go func() {
				defer wg.Done()
				n, err := o.Tick(ctx, at(t, "2026-11-02"))
				if err != nil {
					t.Error(err)
				}
				sent[i] = n
			}()
		}
		wg.Wait()
		if sent[0]+sent[1] != 3 {
			t.Errorf("notices sent by two workers: %v, want 3 in all", sent)
		}
		if n, err := o.Tick(ctx, at(t, "2026-11-03")); err != nil || n != 0 {
			t.Errorf("ticking again: %d %v", n, err)
		}
	})
}
