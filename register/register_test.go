package register_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/forms"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// validUSCC checks a credit code with GB 32100 and its organisation code with GB 11714, written out
// again here so that the test does not trust the package's own arithmetic.
func validUSCC(code string) error {
	const alphabet = "0123456789ABCDEFGHJKLMNPQRTUWXY"
	if len(code) != 18 {
		return fmt.Errorf("length %d", len(code))
	}
	weights := []int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}
	sum := 0
	for i, w := range weights {
		v := strings.IndexByte(alphabet, code[i])
		if v < 0 {
			return fmt.Errorf("bad character %q", code[i])
		}
		sum += v * w
	}
	if want := alphabet[(31-sum%31)%31]; code[17] != want {
		return fmt.Errorf("GB 32100 check %q, want %q", code[17], want)
	}
	org := code[8:17]
	sum = 0
	for i, w := range []int{3, 7, 9, 10, 5, 8, 4, 2} {
		c := org[i]
		v := int(c - '0')
		if c >= 'A' && c <= 'Z' {
			v = int(c-'A') + 10
		}
		sum += v * w
	}
	want := byte('0' + (11-sum%11)%11)
	if 11-sum%11 == 10 {
		want = 'X'
	}
	if org[8] != want {
		return fmt.Errorf("GB 11714 check %q, want %q", org[8], want)
	}
	return nil
}

func TestValidUSCCHelper(t *testing.T) {
	for _, code := range []string{"91350100M000100Y43", "51110000500012358G"} {
		if err := validUSCC(code); err != nil {
			t.Errorf("%s: %v", code, err)
		}
	}
	if validUSCC("51110000500012358H") == nil || validUSCC("51110000500012368G") == nil {
		t.Error("wrong codes pass")
	}
}

func seed(t testing.TB, db bun.IDB) {
	t.Helper()
	ctx := context.Background()
	for _, j := range [][2]string{{"210000", "辽宁省"}, {"210100", "沈阳市"}, {"210102", "和平区"}, {"210200", "大连市"}} {
		if err := jurisdictions.Add(ctx, db, j[0], j[1], ""); err != nil {
			t.Fatal(err)
		}
	}
}

// newCase inserts the smallest case the schema allows and returns its ID.
func newCase(t *testing.T, db bun.IDB) int64 {
	t.Helper()
	ctx := context.Background()
	now := time.Now().UTC()
	var uid, cid int64
	if err := db.NewRaw(`INSERT INTO users (login, password_hash, created_at, updated_at) VALUES (?, 'x', ?, ?) RETURNING id`,
		fmt.Sprintf("u%d", now.UnixNano()), now, now).Scan(ctx, &uid); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewRaw(`INSERT INTO catalog_versions (hash, item_code, source, definition, loaded_at) VALUES ('h1', 'SO-REG', 'test', '{}', ?) ON CONFLICT DO NOTHING`, now).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	if err := db.NewRaw(`INSERT INTO cases (number, item_code, version_hash, jurisdiction, applicant_id, state, version, data, fields,
		created_at, updated_at, state_entered_at) VALUES (?, 'SO-REG', 'h1', '210000', ?, 'accepted', 1, '{}', '{}', ?, ?, ?) RETURNING id`,
		fmt.Sprintf("C%d", now.UnixNano()), uid, now, now, now).Scan(ctx, &cid); err != nil {
		t.Fatal(err)
	}
	return cid
}

func TestCodesAreValidAndUnique(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		digits := map[string]string{register.KindSocialGroup: "1", register.KindPrivateNonEnterprise: "2", register.KindFoundation: "3"}
		divisions := []string{"210000", "210100", "210102", "210200"}
		seen := map[string]bool{}
		bodies := map[string]bool{}
		for i := range 100 {
			kind := register.Kinds[i%3]
			div := divisions[i%4]
			o, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: fmt.Sprintf("测试协会%d", i), Kind: kind, Jurisdiction: div})
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(o.USCC, "5"+digits[kind]+div) {
				t.Errorf("%s: want prefix 5%s%s", o.USCC, digits[kind], div)
			}
			if !strings.HasPrefix(o.USCC, "51") && kind == register.KindSocialGroup {
				t.Errorf("%s: a social group starts with 51", o.USCC)
			}
			if err := validUSCC(o.USCC); err != nil {
				t.Errorf("%s: %v", o.USCC, err)
			}
			if warning, err := forms.ValidateUSCC(o.USCC); err != nil || warning != "" {
				t.Errorf("%s: forms says %q %v", o.USCC, warning, err)
			}
			if seen[o.USCC] || bodies[o.USCC[8:17]] {
				t.Errorf("%s issued twice", o.USCC)
			}
			seen[o.USCC], bodies[o.USCC[8:17]] = true, true
		}
		// Issued at once from separate transactions, codes stay distinct.
		var mu sync.Mutex
		var wg sync.WaitGroup
		errs := make(chan error, 20)
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
					o, err := register.Create(ctx, tx, register.NewOrganisation{Name: fmt.Sprintf("并发基金会%d", i), Kind: register.KindFoundation, Jurisdiction: "210100"})
					if err != nil {
						return err
					}
					mu.Lock()
					defer mu.Unlock()
					if seen[o.USCC] || validUSCC(o.USCC) != nil {
						return fmt.Errorf("bad or repeated code %s", o.USCC)
					}
					seen[o.USCC] = true
					return nil
				})
				if err != nil {
					errs <- err
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if _, err := register.NewUSCC(ctx, s.DB, "charity", "210000"); err == nil {
			t.Error("unknown kind accepted")
		}
		if _, err := register.NewUSCC(ctx, s.DB, register.KindFoundation, "21000"); err == nil {
			t.Error("bad division accepted")
		}
	})
}

func TestCreateStoresEverything(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		caseID := newCase(t, s.DB)
		var o *register.Organisation
		err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
			var err error
			o, err = register.Create(ctx, tx, register.NewOrganisation{
				Name: " 沈阳市志愿者协会 ", Kind: register.KindSocialGroup, Jurisdiction: "210100",
				Domicile: "沈阳市和平区某路1号", LegalRepresentative: "张三", CaseID: caseID,
				Data: map[string]any{"members": float64(52), "funds_fen": float64(3000000), "sponsor": "沈阳市民政局"},
			})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := register.Get(ctx, s.DB, o.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name != "沈阳市志愿者协会" || got.Kind != register.KindSocialGroup || got.Jurisdiction != "210100" ||
			got.Domicile != "沈阳市和平区某路1号" || got.LegalRepresentative != "张三" || got.Status != register.StatusActive ||
			got.CaseID == nil || *got.CaseID != caseID || got.USCC != o.USCC || !strings.HasPrefix(got.USCC, "51210100") {
			t.Fatalf("stored %+v", got)
		}
		if got.Data["members"] != float64(52) || got.Data["funds_fen"] != float64(3000000) || got.Data["sponsor"] != "沈阳市民政局" {
			t.Fatalf("data %v", got.Data)
		}
		if !got.RegisteredAt.Equal(o.RegisteredAt) || time.Since(got.RegisteredAt) > time.Minute || time.Since(got.RegisteredAt) < 0 {
			t.Fatalf("registered at %v, created %v", got.RegisteredAt, o.RegisteredAt)
		}
		if p := got.Public(); p.Data != nil || p.CaseID != nil || p.USCC != got.USCC {
			t.Fatalf("public view %+v", p)
		}
		if by, err := register.ByUSCC(ctx, s.DB, " "+strings.ToLower(o.USCC)+" "); err != nil || by.ID != o.ID {
			t.Fatalf("by code: %v %v", by, err)
		}
		// Without case and data.
		bare, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: "大连市慈善基金会", Kind: register.KindFoundation, Jurisdiction: "210200"})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := register.Get(ctx, s.DB, bare.ID); err != nil || got.CaseID != nil || len(got.Data) != 0 || !strings.HasPrefix(got.USCC, "53210200") {
			t.Fatalf("bare: %+v %v", got, err)
		}
		for _, err := range []error{
			func() error { _, err := register.Get(ctx, s.DB, 999999); return err }(),
			func() error { _, err := register.ByUSCC(ctx, s.DB, "51110000500012358G"); return err }(),
			func() error { _, err := register.ByUSCC(ctx, s.DB, "'; DROP TABLE organisations; --"); return err }(),
		} {
			if !problem.Is(err, problem.NotFound) {
				t.Errorf("want NotFound, got %v", err)
			}
		}
	})
}

func TestCreateValidates(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		_, err := register.Create(ctx, s.DB, register.NewOrganisation{
			Name: "  ", Kind: "company", Jurisdiction: "999999", LegalRepresentative: "a\x00b", Domicile: strings.Repeat("路", 501), CaseID: -1})
		p, ok := problem.As(err)
		if !ok || p.Kind != problem.Invalid {
			t.Fatalf("want Invalid, got %v", err)
		}
		paths := map[string]string{}
		for _, f := range p.Fields {
			paths[f.Path] = f.Code
		}
		want := map[string]string{"name": "required", "kind": "invalid", "jurisdiction": "unknown",
			"legal_representative": "invalid", "domicile": "too_long", "case_id": "invalid"}
		for path, code := range want {
			if paths[path] != code {
				t.Errorf("%s: got %q, want %q (%v)", path, paths[path], code, p.Fields)
			}
		}
		if _, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: "x", Kind: register.KindFoundation, Jurisdiction: "21"}); !problem.Is(err, problem.Invalid) {
			t.Errorf("short division: %v", err)
		}
		var n int
		if err := s.DB.NewSelect().ColumnExpr("count(*)").TableExpr("organisations").Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("organisations after refused creates: %d %v", n, err)
		}
		if err := s.DB.NewSelect().ColumnExpr("count(*)").TableExpr("sequences").Scan(ctx, &n); err != nil || n != 0 {
			t.Fatalf("sequence advanced by refused creates: %d %v", n, err)
		}
	})
}
