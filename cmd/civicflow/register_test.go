package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

func TestRegisterImport(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		for _, j := range [][2]string{{"210000", "辽宁省"}, {"210100", "沈阳市"}} {
			if err := jurisdictions.Add(ctx, s.DB, j[0], j[1], ""); err != nil {
				t.Fatal(err)
			}
		}
		// 51210100T0000001X0 is the test's own code with a wrong check character (…XG is right).
		file := filepath.Join(t.TempDir(), "register.csv")
		write := func(rows ...string) {
			if err := os.WriteFile(file, []byte(strings.Join(rows, "\n")+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		write("统一社会信用代码,名称,登记管理机关,成立日期",
			"51210100T0000001XG,沈阳市围棋协会,210100,2015-03-20",
			"51210100T0000001X0,沈阳市象棋协会,210100,2015-03-20")
		out, err := run(t, s, "", "register", "import", file)
		if err == nil || !strings.Contains(out, "line 3, column 统一社会信用代码: error: The credit code's check character is wrong.") ||
			!strings.Contains(out, "read 2, would insert 1, would update 0, unchanged 0, warnings 0, errors 1") ||
			!strings.Contains(out, "nothing was written") {
			t.Fatalf("a bad row: %v\n%s", err, out)
		}
		if res, _ := register.Search(ctx, s.DB, register.Query{Q: "围棋"}); res.Total != 0 {
			t.Fatal("a file with an error wrote")
		}
		out, err = run(t, s, "", "register", "import", "--skip-errors", file)
		if err == nil || !strings.Contains(out, "inserted 1,") || strings.Contains(out, "nothing was written") {
			t.Fatalf("--skip-errors: %v\n%s", err, out)
		}
		if res, _ := register.Search(ctx, s.DB, register.Query{Q: "围棋"}); res.Total != 1 {
			t.Fatal("--skip-errors did not import the good row")
		}
		write("统一社会信用代码,名称,登记管理机关,成立日期", "51210100T0000001XG,沈阳市围棋协会,沈阳市,2015-03-20")
		out, err = run(t, s, "", "register", "import", "--dry-run", file)
		if err != nil || !strings.Contains(out, "unchanged 1,") || !strings.Contains(out, "dry run") {
			t.Fatalf("again: %v\n%s", err, out)
		}
		// Warnings and errors together, in line order: 51210100T00000021T has a wrong organisation-code
		// check character (8 is right) but a right 18th.
		write("统一社会信用代码,名称,登记管理机关,成立日期", "51210100T00000021T,沈阳市桥牌协会,210100,2015-03-20",
			"51210100T0000001X0,沈阳市象棋协会,210100,2015-03-20")
		out, _ = run(t, s, "", "register", "import", "--dry-run", file)
		if w, e := strings.Index(out, "line 2, column 统一社会信用代码: warning"), strings.Index(out, "line 3, column 统一社会信用代码: error"); w < 0 || e < w {
			t.Errorf("not in line order:\n%s", out)
		}
		write("名称,登记管理机关,成立日期", "沈阳市围棋协会,沈阳市,2015-03-20")
		if out, err := run(t, s, "", "register", "import", file); err == nil || !strings.Contains(err.Error(), "统一社会信用代码 (uscc) is missing") {
			t.Fatalf("no code column: %v\n%s", err, out)
		}
	})
}

// On a database never migrated the import says what to do, not "no such table".
func TestRegisterImportWithoutSchema(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		for {
			rolled, err := migrations.Down(ctx, s.DB)
			if err != nil {
				t.Fatal(err)
			}
			if len(rolled) == 0 {
				break
			}
		}
		t.Cleanup(func() {
			if _, err := migrations.Up(ctx, s.DB); err != nil {
				t.Error(err)
			}
		})
		file := filepath.Join(t.TempDir(), "register.csv")
		if err := os.WriteFile(file, []byte("统一社会信用代码,名称,登记管理机关,成立日期\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if out, err := run(t, s, "", "register", "import", file); err == nil ||
			!strings.HasPrefix(err.Error(), "the database has no schema yet (") || !strings.HasSuffix(err.Error(), "pending migrations): run `civicflow migrate up`") {
			t.Fatalf("no schema: %v\n%s", err, out)
		}
	})
}
