package credit_test

import (
	"context"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/credit"
	"github.com/civicflow/civicflow/demo"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// world is a register with a group in Shenyang and one in Dalian, and staff of each city.
type world struct {
	db               *bun.DB
	enf              *policies.Enforcer
	shenyang, dalian *register.Organisation
	users            map[string]int64
}

func newWorld(t *testing.T, s *stacktest.Stack) *world {
	t.Helper()
	ctx := context.Background()
	for _, j := range demo.Jurisdictions {
		if err := jurisdictions.Add(ctx, s.DB, j.Code, j.NameZH, j.NameEN); err != nil {
			t.Fatal(err)
		}
	}
	w := &world{db: s.DB, users: map[string]int64{}}
	for login, grant := range map[string][2]string{
		"sy_reviewer": {"reviewer", "2101*"}, "dl_reviewer": {"reviewer", "2102*"}, "sy_acceptor": {"acceptor", "2101*"},
	} {
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: login, Password: login + "-password"})
		if err != nil {
			t.Fatal(err)
		}
		if err := policies.GrantSystem(ctx, s.DB, u.ID, grant[0], grant[1]); err != nil {
			t.Fatal(err)
		}
		w.users[login] = u.ID
	}
	enf, err := policies.New(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	w.enf = enf
	for _, o := range []struct {
		dest       **register.Organisation
		name, code string
	}{{&w.shenyang, "沈阳市围棋协会", "210100"}, {&w.dalian, "大连市象棋协会", "210200"}} {
		org, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: o.name, Kind: register.KindSocialGroup, Jurisdiction: o.code})
		if err != nil {
			t.Fatal(err)
		}
		*o.dest = org
	}
	return w
}

func (w *world) actor(login string) audit.Actor {
	return audit.Actor{UserID: w.users[login], Label: login}
}

func wantProblem(t *testing.T, err error, code, field string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Code != code && (len(p.Fields) == 0 || p.Fields[0].Code != code) {
		t.Fatalf("want problem %s, got %v", code, err)
	}
	if field != "" && (len(p.Fields) == 0 || p.Fields[0].Path != field) {
		t.Fatalf("want problem %s on %s, got %+v", code, field, p.Fields)
	}
}

// A missed report lists once however often the deadline pass runs; the engine's check refuses the
// listed organisation only for the lists an item names; after two years the worker's escalation
// lists it as seriously dishonest once; an approved application or staff remove entries, keeping them.
func TestListsOnBothDatabases(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		w := newWorld(t, s)
		for range 2 {
			if err := w.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				return credit.ListForMissedReport(ctx, tx, w.shenyang.ID, 2026, "210100")
			}); err != nil {
				t.Fatal(err)
			}
		}
		entries, err := credit.Of(ctx, w.db, w.shenyang.ID)
		if err != nil || len(entries) != 1 || entries[0].List != credit.ListAbnormal || entries[0].Reason != credit.ReasonAnnualReport ||
			entries[0].Year != 2026 || entries[0].Authority != "210100" || entries[0].Source != credit.SourceAnnualReport {
			t.Fatalf("entries after two passes: %+v %v", entries, err)
		}

		if err := credit.CheckNotListed(ctx, w.db, w.shenyang.USCC, []string{credit.ListSerious}); err != nil {
			t.Fatalf("an abnormal entry refused an item refused only to the serious list: %v", err)
		}
		wantProblem(t, credit.CheckNotListed(ctx, w.db, w.shenyang.USCC, []string{credit.ListAbnormal, credit.ListSerious}), "listed", "uscc")
		if err := credit.CheckNotListed(ctx, w.db, w.dalian.USCC, []string{credit.ListAbnormal}); err != nil {
			t.Fatalf("Dalian is on no list: %v", err)
		}

		// Two years less a day: nothing; two years on: once, however often it runs.
		listedAt := entries[0].ListedAt
		if n, err := credit.Escalate(ctx, w.db, listedAt.AddDate(2, 0, -1)); err != nil || n != 0 {
			t.Fatalf("escalation before two years: %d %v", n, err)
		}
		for i, want := range []int{1, 0} {
			if n, err := credit.Escalate(ctx, w.db, listedAt.AddDate(2, 0, 0).Add(time.Hour)); err != nil || n != want {
				t.Fatalf("escalation %d: %d %v", i, n, err)
			}
		}
		wantProblem(t, credit.CheckNotListed(ctx, w.db, w.shenyang.USCC, []string{credit.ListSerious}), "listed", "uscc")
		res, err := credit.Search(ctx, w.db, credit.Query{List: credit.ListSerious, Q: "围棋"})
		if err != nil || res.Total != 1 || res.Entries[0].Reason != credit.ReasonTwoYears || res.Entries[0].EscalatedFrom == nil ||
			*res.Entries[0].EscalatedFrom != entries[0].ID || res.Entries[0].Organisation.USCC != w.shenyang.USCC {
			t.Fatalf("the serious list: %+v %v", res, err)
		}

		// Staff list by hand in their own jurisdiction only, with every field checked.
		_, err = credit.ListManually(ctx, w.db, w.enf, w.actor("sy_reviewer"), credit.Manual{List: "black", Reason: "x"})
		p, _ := problem.As(err)
		if p == nil || len(p.Fields) != 3 {
			t.Fatalf("an empty listing: %v", err)
		}
		m := credit.Manual{USCC: w.dalian.USCC, List: credit.ListAbnormal, Reason: "unreachable", Detail: "两次实地核查均无人。"}
		if _, err := credit.ListManually(ctx, w.db, w.enf, w.actor("sy_reviewer"), m); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("Shenyang staff listed a Dalian organisation: %v", err)
		}
		if _, err := credit.ListManually(ctx, w.db, w.enf, w.actor("sy_acceptor"), m); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("an acceptor listed: %v", err)
		}
		e, err := credit.ListManually(ctx, w.db, w.enf, w.actor("dl_reviewer"), m)
		if err != nil || e.Source != credit.SourceStaff || e.Detail != m.Detail {
			t.Fatalf("Dalian staff listing: %+v %v", e, err)
		}
		if _, err := credit.ListManually(ctx, w.db, w.enf, w.actor("dl_reviewer"), m); !problem.Is(err, problem.Conflict) {
			t.Fatalf("listed twice for one reason: %v", err)
		}
		if pub := e.Public(); pub.Detail != "" {
			t.Fatalf("the public sees staff's text: %+v", pub)
		}

		// Removal by staff: with a reason, in their jurisdiction, once; the entry stays with it.
		if _, err := credit.Remove(ctx, w.db, w.enf, w.actor("sy_reviewer"), e.ID, "核实有误"); !problem.Is(err, problem.NotFound) {
			t.Fatalf("Shenyang staff removed a Dalian entry: %v", err)
		}
		if _, err := credit.Remove(ctx, w.db, w.enf, w.actor("dl_reviewer"), e.ID, " "); !problem.Is(err, problem.Invalid) {
			t.Fatalf("removal without a reason: %v", err)
		}
		if _, err := credit.Remove(ctx, w.db, w.enf, w.actor("dl_reviewer"), e.ID, "已恢复联系。"); err != nil {
			t.Fatal(err)
		}
		if _, err := credit.Remove(ctx, w.db, w.enf, w.actor("dl_reviewer"), e.ID, "再次"); !problem.Is(err, problem.Conflict) {
			t.Fatalf("removed twice: %v", err)
		}
		kept, err := credit.Of(ctx, w.db, w.dalian.ID)
		if err != nil || len(kept) != 1 || kept[0].RemovedAt == nil || kept[0].Removal != credit.RemovalDecision || kept[0].RemovalReason != "已恢复联系。" {
			t.Fatalf("the removed entry: %+v %v", kept, err)
		}
		if err := credit.CheckNotListed(ctx, w.db, w.dalian.USCC, []string{credit.ListAbnormal}); err != nil {
			t.Fatalf("a removed entry still refuses: %v", err)
		}
		// Listed again after removal: a new entry.
		if _, err := credit.ListManually(ctx, w.db, w.enf, w.actor("dl_reviewer"), m); err != nil {
			t.Fatalf("listing again after removal: %v", err)
		}
		if res, err := credit.Search(ctx, w.db, credit.Query{List: credit.ListAbnormal, Jurisdiction: "210200"}); err != nil || res.Total != 1 ||
			res.Entries[0].OrganisationID != w.dalian.ID || res.Entries[0].Detail != "" {
			t.Fatalf("the abnormal list of Dalian: %+v %v", res, err)
		}
		staff, err := credit.ForStaff(ctx, w.db, w.enf, w.users["sy_acceptor"], true)
		if err != nil || len(staff) != 2 {
			t.Fatalf("Shenyang staff's list: %+v %v", staff, err)
		}
		for _, e := range staff {
			if e.OrganisationID != w.shenyang.ID {
				t.Fatalf("Shenyang staff see %+v", e)
			}
		}
		if _, err := credit.Search(ctx, w.db, credit.Query{List: credit.ListAbnormal, Jurisdiction: "21", Page: -1}); !problem.Is(err, problem.Invalid) {
			t.Fatalf("bad filters: %v", err)
		}
		if _, err := credit.Search(ctx, w.db, credit.Query{List: "grey"}); !problem.Is(err, problem.NotFound) {
			t.Fatalf("an unknown list: %v", err)
		}
	})
}
