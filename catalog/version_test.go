package catalog

import (
	"context"
	"errors"
	"testing"
	"testing/fstest"
	"time"

	"github.com/civicflow/civicflow/stacktest"
)

func TestVersionsPinCases(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		fsys := builtinFS()
		v1, _, err := Load(fsys, "", testNames)
		if err != nil {
			t.Fatal(err)
		}
		if err := v1.Store(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		if err := v1.Store(ctx, s.DB); err != nil { // storing again changes nothing
			t.Fatal(err)
		}
		old, _ := v1.Item("test-item")

		// The file changes: the name and an action's role.
		fsys["items/x.yaml"] = &fstest.MapFile{Data: []byte(edit(edit(baseItem, 2, "name: {zh: 新名称, en: New name}"), 54, "      by: [approver, reviewer]"))}
		v2, _, err := Load(fsys, "", testNames)
		if err != nil {
			t.Fatal(err)
		}
		if err := v2.Store(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		cur, _ := v2.Item("test-item")
		if cur.Hash == old.Hash {
			t.Fatal("the changed file has the old hash")
		}

		// One open case on the old version, one closed case on the new one.
		now := time.Now().UTC()
		if _, err := s.DB.ExecContext(ctx, `INSERT INTO jurisdictions (code, name_zh, created_at) VALUES ('210000', '辽宁省', ?)`, now); err != nil {
			t.Fatal(err)
		}
		var userID int64
		if err := s.DB.NewRaw(`INSERT INTO users (login, password_hash, created_at, updated_at) VALUES ('applicant', 'x', ?, ?) RETURNING id`,
			now, now).Scan(ctx, &userID); err != nil {
			t.Fatal(err)
		}
		for i, c := range []struct {
			hash   string
			closed any
		}{{old.Hash, nil}, {cur.Hash, now}} {
			if _, err := s.DB.ExecContext(ctx, `INSERT INTO cases (number, item_code, version_hash, jurisdiction, applicant_id, state,
				version, data, fields, created_at, updated_at, state_entered_at, closed_at)
				VALUES (?, 'test-item', ?, '210000', ?, 'acceptance', 1, '{}', '{}', ?, ?, ?, ?)`,
				[]string{"T1", "T2"}[i], c.hash, userID, now, now, now, c.closed); err != nil {
				t.Fatal(err)
			}
		}

		vs, err := Versions(ctx, s.DB, "test-item")
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 {
			t.Fatalf("want 2 versions, got %+v", vs)
		}
		open := map[string]int{}
		for _, v := range vs {
			open[v.Hash] = v.OpenCases
			if v.Source != "catalog/items/x.yaml" || v.LoadedAt.IsZero() {
				t.Fatalf("version %+v", v)
			}
		}
		if open[old.Hash] != 1 || open[cur.Hash] != 0 {
			t.Fatalf("open cases by version: %v", open)
		}

		// The pinned definition comes back from the database, not from the file.
		versionCache.Delete(old.Hash)
		got, err := Version(ctx, s.DB, old.Hash)
		if err != nil {
			t.Fatal(err)
		}
		if got.Name.ZH != "测试事项" || got.Workflow.Actions[3].By[0] != "approver" || len(got.Workflow.Actions[3].By) != 1 {
			t.Fatalf("old version: %+v", got.Name)
		}
		if got.Forms["test_form"] == nil || got.Forms["test_form"].Fields[2].Material != "letter" {
			t.Fatal("the old version's form is missing")
		}
		if h, _, _ := hashItem(got); h != old.Hash {
			t.Fatal("the stored definition does not hash to its version")
		}
		if again, _ := Version(ctx, s.DB, old.Hash); again != got {
			t.Fatal("versions are not cached")
		}
		if _, err := Version(ctx, s.DB, "0000"); !errors.Is(err, ErrUnknownVersion) {
			t.Fatalf("unknown hash: %v", err)
		}
	})
}
