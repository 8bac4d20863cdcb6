package register_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// bindingWorld is a register with an organisation in Shenyang, one in Dalian, applicants, staff of
// Shenyang and Dalian, and a store for authorisation letters.
type bindingWorld struct {
	db       *bun.DB
	enf      *policies.Enforcer
	store    *materials.Store
	shenyang *register.Organisation
	dalian   *register.Organisation
	// users by login
	users map[string]int64
}

func newBindingWorld(t *testing.T, s *stacktest.Stack) *bindingWorld {
	t.Helper()
	ctx := context.Background()
	seed(t, s.DB)
	enf, err := policies.New(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	store, err := materials.NewStore(t.TempDir(), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	w := &bindingWorld{db: s.DB, enf: enf, store: store, users: map[string]int64{}}
	for login, grant := range map[string][2]string{
		"clerk": {"org_applicant", "*"}, "other": {"org_applicant", "*"}, "citizen": {"citizen", "*"},
		"sy_acceptor": {"acceptor", "2101*"}, "dl_acceptor": {"acceptor", "2102*"}, "sy_auditor": {"auditor", "2101*"},
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
	if err := enf.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	if w.shenyang, err = register.Create(ctx, s.DB, register.NewOrganisation{Name: "沈阳市围棋协会", Kind: register.KindSocialGroup, Jurisdiction: "210100"}); err != nil {
		t.Fatal(err)
	}
	if w.dalian, err = register.Create(ctx, s.DB, register.NewOrganisation{Name: "大连市象棋协会", Kind: register.KindSocialGroup, Jurisdiction: "210200"}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *bindingWorld) actor(login string) audit.Actor {
	return audit.Actor{UserID: w.users[login], Label: login}
}

// letter uploads an authorisation letter of the user's and returns its id.
func (w *bindingWorld) letter(t *testing.T, login string) int64 {
	t.Helper()
	pdf := []byte("%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n" + login)
	m, err := w.store.Upload(context.Background(), w.db, w.users[login], register.LetterItem, register.LetterSlot, "授权书.pdf",
		bytes.NewReader(pdf), materials.Limits{Types: register.LetterTypes})
	if err != nil {
		t.Fatal(err)
	}
	return m.ID
}

// request files the user's request for the organisation with a new letter.
func (w *bindingWorld) request(t *testing.T, login string, o *register.Organisation) *register.Binding {
	t.Helper()
	b, err := register.RequestBinding(context.Background(), w.db, w.enf, w.actor(login), o.USCC, w.letter(t, login))
	if err != nil {
		t.Fatalf("request of %s for %s: %v", login, o.Name, err)
	}
	return b
}

// wantProblem fails the test unless err is a problem with the code (and, when path is set, a field
// error on path).
func wantProblem(t *testing.T, err error, code, path string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok {
		t.Fatalf("want problem %s, got %v", code, err)
	}
	if path == "" {
		if p.Code != code {
			t.Fatalf("want problem %s, got %s (%v)", code, p.Code, err)
		}
		return
	}
	for _, f := range p.Fields {
		if f.Path == path && f.Code == code {
			return
		}
	}
	t.Fatalf("want %s on %s, got %+v", code, path, p.Fields)
}

func TestBindingRequests(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		w := newBindingWorld(t, s)
		db, enf := w.db, w.enf

		t.Run("approved by staff of the jurisdiction", func(t *testing.T) {
			b := w.request(t, "clerk", w.shenyang)
			if b.Status != register.BindingPending || b.How != register.HowRequest || b.Organisation.Data != nil {
				t.Fatalf("request: %+v", b)
			}
			_, err := register.ApproveBinding(ctx, db, enf, w.actor("dl_acceptor"), b.ID, "")
			if !errors.Is(err, problem.ErrNotFound) {
				t.Fatalf("staff of another jurisdiction approving: %v", err)
			}
			_, err = register.ApproveBinding(ctx, db, enf, w.actor("sy_auditor"), b.ID, "")
			if !errors.Is(err, problem.ErrForbidden) {
				t.Fatalf("an auditor approving: %v", err)
			}
			_, err = register.ApproveBinding(ctx, db, enf, w.actor("clerk"), b.ID, "")
			if !errors.Is(err, problem.ErrForbidden) {
				t.Fatalf("the applicant approving its own request: %v", err)
			}
			got, err := register.ApproveBinding(ctx, db, enf, w.actor("sy_acceptor"), b.ID, "授权书核对无误")
			if err != nil || got.Status != register.BindingActive {
				t.Fatalf("approve: %+v %v", got, err)
			}
			_, err = register.RefuseBinding(ctx, db, enf, w.actor("sy_acceptor"), b.ID, "晚了")
			wantProblem(t, err, "not_pending", "")
			var messages int64
			messages, err = db.NewSelect().TableExpr("outbox").Where("user_id = ? AND template = 'binding_approved'", w.users["clerk"]).Count(ctx)
			if err != nil || messages == 0 {
				t.Fatalf("the applicant was not notified: %d %v", messages, err)
			}
			entries, err := audit.List(ctx, db, "binding", 10, "object_id = ?", fmt.Sprint(b.ID))
			if err != nil || len(entries) != 2 || entries[0].Action != "binding.approve" || entries[1].Action != "binding.request" {
				t.Fatalf("audit: %+v %v", entries, err)
			}
			if err := register.CheckBound(ctx, db, &catalog.Item{}, w.users["clerk"], w.shenyang.USCC, w.shenyang.Jurisdiction); err != nil {
				t.Fatalf("bound clerk: %v", err)
			}
			// Only its registration authority decides about it: a case filed in Dalian is refused.
			wantProblem(t, register.CheckBound(ctx, db, &catalog.Item{}, w.users["clerk"], w.shenyang.USCC, w.dalian.Jurisdiction),
				"other_authority", "jurisdiction")
		})

		t.Run("duplicates refused", func(t *testing.T) {
			_, err := register.RequestBinding(ctx, db, enf, w.actor("clerk"), w.shenyang.USCC, w.letter(t, "clerk"))
			wantProblem(t, err, "binding_exists", "")
			b := w.request(t, "clerk", w.dalian)
			_, err = register.RequestBinding(ctx, db, enf, w.actor("clerk"), w.dalian.USCC, w.letter(t, "clerk"))
			wantProblem(t, err, "binding_exists", "")
			// A letter is its uploader's only.
			_, err = register.RequestBinding(ctx, db, enf, w.actor("other"), w.dalian.USCC, *b.LetterID)
			wantProblem(t, err, "required", "letter")
		})

		t.Run("refused with a reason", func(t *testing.T) {
			b := w.request(t, "other", w.shenyang)
			_, err := register.RefuseBinding(ctx, db, enf, w.actor("sy_acceptor"), b.ID, "  ")
			wantProblem(t, err, "required", "reason")
			got, err := register.RefuseBinding(ctx, db, enf, w.actor("sy_acceptor"), b.ID, "授权书未签字")
			if err != nil || got.Status != register.BindingRefused || got.DecisionReason != "授权书未签字" {
				t.Fatalf("refuse: %+v %v", got, err)
			}
			wantProblem(t, register.CheckBound(ctx, db, &catalog.Item{}, w.users["other"], w.shenyang.USCC, ""), "not_bound", "uscc")
			// After a refusal the applicant may ask again.
			w.request(t, "other", w.shenyang)
		})

		t.Run("someone else's binding is not found", func(t *testing.T) {
			mine, err := register.BindingsOf(ctx, db, w.users["clerk"])
			if err != nil || len(mine) != 2 {
				t.Fatalf("the clerk's bindings: %+v %v", mine, err)
			}
			id := mine[1].ID // Shenyang's, active; mine[0] is the request for Dalian's
			if mine[1].Organisation.ID != w.shenyang.ID {
				t.Fatalf("the clerk's bindings, newest first: %+v", mine)
			}
			for _, login := range []string{"other", "citizen", "dl_acceptor"} {
				if _, err := register.VisibleBinding(ctx, db, enf, w.users[login], id); !errors.Is(err, problem.ErrNotFound) {
					t.Errorf("%s sees the clerk's binding: %v", login, err)
				}
				if _, err := register.Unbind(ctx, db, enf, w.actor(login), id, "x"); !errors.Is(err, problem.ErrNotFound) {
					t.Errorf("%s unbinds the clerk: %v", login, err)
				}
			}
			if _, err := register.VisibleBinding(ctx, db, enf, w.users["sy_auditor"], id); err != nil {
				t.Errorf("Shenyang's auditor reads its binding: %v", err)
			}
		})

		t.Run("staff lists in their jurisdictions", func(t *testing.T) {
			for login, want := range map[string]int{"sy_acceptor": 1, "dl_acceptor": 1, "sy_auditor": 1, "clerk": 0} {
				list, err := register.BindingsToReview(ctx, db, enf, w.users[login], register.BindingPending)
				if err != nil || len(list) != want {
					t.Errorf("%s: %d pending, want %d (%v)", login, len(list), want, err)
				}
			}
			_, err := register.BindingsToReview(ctx, db, enf, w.users["sy_acceptor"], "x")
			wantProblem(t, err, "invalid", "status")
		})

		t.Run("unbinding", func(t *testing.T) {
			mine, _ := register.BindingsOf(ctx, db, w.users["clerk"])
			var active, pending register.Binding
			for _, b := range mine {
				switch b.Status {
				case register.BindingActive:
					active = b
				case register.BindingPending:
					pending = b
				}
			}
			_, err := register.Unbind(ctx, db, enf, w.actor("sy_acceptor"), active.ID, "")
			wantProblem(t, err, "required", "reason")
			got, err := register.Unbind(ctx, db, enf, w.actor("sy_acceptor"), active.ID, "法定代表人撤回授权")
			if err != nil || got.Status != register.BindingEnded {
				t.Fatalf("staff unbind: %+v %v", got, err)
			}
			wantProblem(t, register.CheckBound(ctx, db, &catalog.Item{}, w.users["clerk"], w.shenyang.USCC, ""), "not_bound", "uscc")
			got, err = register.Unbind(ctx, db, enf, w.actor("clerk"), pending.ID, "")
			if err != nil || got.Status != register.BindingWithdrawn {
				t.Fatalf("the applicant withdraws its request: %+v %v", got, err)
			}
			_, err = register.Unbind(ctx, db, enf, w.actor("clerk"), pending.ID, "")
			wantProblem(t, err, "not_active", "")
		})

		t.Run("deregistered organisation refused", func(t *testing.T) {
			b := w.request(t, "other", w.dalian)
			if _, err := db.NewUpdate().Table("organisations").Set("status = ?", register.StatusDeregistered).Where("id = ?", w.dalian.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
			_, err := register.ApproveBinding(ctx, db, enf, w.actor("dl_acceptor"), b.ID, "")
			wantProblem(t, err, "organisation_inactive", "")
			_, err = register.RequestBinding(ctx, db, enf, w.actor("citizen"), w.dalian.USCC, w.letter(t, "citizen"))
			wantProblem(t, err, "organisation_inactive", "")
		})

		t.Run("bad requests", func(t *testing.T) {
			_, err := register.RequestBinding(ctx, db, enf, w.actor("other"), "51210100MJ0000000X", 0)
			wantProblem(t, err, "unknown", "uscc")
			wantProblem(t, err, "required", "letter")
			_, err = register.RequestBinding(ctx, db, enf, w.actor("citizen"), w.shenyang.USCC, w.letter(t, "citizen"))
			if !errors.Is(err, problem.ErrForbidden) {
				t.Fatalf("a citizen asks to act for an organisation: %v", err)
			}
		})
	})
}

// The applicant of the registration case is bound to the organisation the case registers.
func TestRegistrationBindsItsApplicant(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
		if err != nil {
			t.Fatal(err)
		}
		item, _ := cat.Item("social-group-establishment")
		caseID := newCase(t, s.DB)
		var applicant int64
		if err := s.DB.NewSelect().TableExpr("cases").Column("applicant_id").Where("id = ?", caseID).Scan(ctx, &applicant); err != nil {
			t.Fatal(err)
		}
		c := &workflow.Case{ID: caseID, Number: "210000-2026-000001", ItemCode: item.Code, Jurisdiction: "210000", ApplicantID: applicant,
			Data: map[string]any{"sg_establishment": map[string]any{"name": "辽宁省桥牌协会"}}}
		err = s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			return register.CreateOrganisationEffect(ctx, tx, c, item)
		})
		if err != nil {
			t.Fatal(err)
		}
		bs, err := register.BindingsOf(ctx, s.DB, applicant)
		if err != nil || len(bs) != 1 {
			t.Fatalf("bindings: %+v %v", bs, err)
		}
		b := bs[0]
		if b.How != register.HowRegistration || b.Status != register.BindingActive || b.CaseID == nil || *b.CaseID != caseID ||
			b.Organisation.USCC != c.Fields["uscc"] {
			t.Fatalf("binding: %+v", b)
		}
		if err := register.CheckBound(ctx, s.DB, &catalog.Item{}, applicant, b.Organisation.USCC, b.Organisation.Jurisdiction); err != nil {
			t.Fatal(err)
		}
		entries, err := audit.List(ctx, s.DB, "binding", 10, "1 = 1")
		if err != nil || len(entries) != 1 || entries[0].Action != "binding.register" {
			t.Fatalf("audit: %+v %v", entries, err)
		}
	})
}

// An item about an organisation starts only for an applicant bound to the organisation its form names.
func TestStartAboutAnOrganisation(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		w := newBindingWorld(t, s)
		cat, _, err := catalog.Load(catalog.Builtin, "../catalog/testdata/about", workflow.CatalogNames())
		if err != nil {
			t.Fatal(err)
		}
		if err := cat.Store(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		engine := workflow.New(s.DB, w.enf, func(ctx context.Context, hash string) (*catalog.Item, error) {
			return catalog.Version(ctx, s.DB, hash)
		}, cat.Item)
		start := func(login, uscc string) (*workflow.Case, error) {
			return engine.Start(ctx, w.actor(login), "sg-annual-report-test", "210100", map[string]any{"uscc": uscc, "summary": "本年度开展活动12次。"})
		}
		if _, err := start("clerk", w.shenyang.USCC); err == nil || errors.Is(err, problem.ErrNotFound) || problem.Is(err, problem.Invalid) {
			t.Fatalf("an engine without the check starts an item about an organisation: %v", err)
		}
		engine.SetBoundCheck(register.CheckBound)
		_, err = start("clerk", w.shenyang.USCC)
		wantProblem(t, err, "not_bound", "uscc")
		b := w.request(t, "clerk", w.shenyang)
		_, err = start("clerk", w.shenyang.USCC)
		wantProblem(t, err, "not_bound", "uscc") // a request is not yet a binding
		if _, err := register.ApproveBinding(ctx, s.DB, w.enf, w.actor("sy_acceptor"), b.ID, ""); err != nil {
			t.Fatal(err)
		}
		c, err := start("clerk", w.shenyang.USCC)
		if err != nil || c.Fields["uscc"] != w.shenyang.USCC {
			t.Fatalf("the bound clerk's start: %+v %v", c, err)
		}
		_, err = start("other", w.shenyang.USCC)
		wantProblem(t, err, "not_bound", "uscc")
		_, err = start("clerk", w.dalian.USCC)
		wantProblem(t, err, "not_bound", "uscc")
		if _, err := s.DB.NewUpdate().Table("organisations").Set("status = ?", register.StatusRevoked).Where("id = ?", w.shenyang.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		_, err = start("clerk", w.shenyang.USCC)
		wantProblem(t, err, "not_bound", "uscc")
	})
}
