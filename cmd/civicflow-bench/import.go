package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/register"
)

// runImport writes o.organisations rows of a department's register as a CSV file, imports it as an
// operator does (civicflow register import FILE, on the database at o.databaseURL) and times it;
// then it checks that the register holds exactly the file's organisations, with their particulars,
// each in the name index.
func runImport(ctx context.Context, o options) error {
	tag := runTag()
	dir, err := os.MkdirTemp("", "civicflow-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "register-"+tag+".csv")
	want := registerRows(o, tag)
	if err := writeCSV(path, append([][]string{{"统一社会信用代码", "名称", "类型", "登记管理机关", "成立日期", "住所", "法定代表人"}}, want...)); err != nil {
		return err
	}
	fmt.Printf("importing %d register rows (%s) with %s register import…\n", len(want), tag, o.civicflow)
	cmd := exec.CommandContext(ctx, o.civicflow, "register", "import", path)
	cmd.Env = civicflowEnv(o)
	start := time.Now()
	out, err := cmd.CombinedOutput()
	took := time.Since(start)
	if err != nil {
		return fmt.Errorf("civicflow register import: %w\n%s", err, out)
	}
	if summary := fmt.Sprintf("read %d, inserted %d, updated 0, unchanged 0, warnings 0, errors 0", len(want), len(want)); !strings.Contains(string(out), summary) {
		return fmt.Errorf("civicflow register import said %q, want %q", out, summary)
	}
	fmt.Printf("imported %d rows in %s = %.0f rows/s (target < 60 s)\n", len(want), took.Round(time.Millisecond), float64(len(want))/took.Seconds())

	db, err := openBenchDB(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	var got []register.Organisation
	if err := db.NewSelect().Model(&got).Where("substr(uscc, 9, 4) = ?", tag).Scan(ctx); err != nil {
		return fmt.Errorf("reading the imported organisations: %w", err)
	}
	byCode := map[string]register.Organisation{}
	for _, g := range got {
		byCode[g.USCC] = g
	}
	if len(got) != len(want) || len(byCode) != len(want) {
		return fmt.Errorf("the register holds %d organisations of the file, want %d", len(got), len(want))
	}
	for _, w := range want {
		g, ok := byCode[w[0]]
		if !ok || g.Name != w[1] || g.Kind != w[2] || g.Jurisdiction != w[3] || calendar.DateOf(g.RegisteredAt).String() != w[4] ||
			g.Domicile != w[5] || g.LegalRepresentative != w[6] || g.Status != register.StatusActive {
			return fmt.Errorf("the register holds %+v for the row %q", g, w)
		}
	}
	if err := expect(ctx, "organisations of the file in the name index", len(want),
		db.NewSelect().TableExpr("organisations AS o").Where("substr(o.uscc, 9, 4) = ?", tag).
			Where("EXISTS (SELECT 1 FROM org_name_bigrams AS g WHERE g.organisation_id = o.id)")); err != nil {
		return err
	}
	fmt.Println("the register holds exactly the file's organisations, each in the name index")
	return nil
}

// registerRows are the rows of the run's register file: credit code, name, kind, jurisdiction,
// registration date, domicile and legal representative.
func registerRows(o options, tag string) [][]string {
	rows := make([][]string, o.organisations)
	for i := range rows {
		kind := register.Kinds[i%len(register.Kinds)]
		rows[i] = []string{benchUSCC(tag, catalog.KindDigits[kind], o.jurisdiction, i), fmt.Sprintf("导入测试第%d协会", i+1), kind,
			o.jurisdiction, fmt.Sprintf("%d-%02d-%02d", 1995+i%30, 1+i%12, 1+i%28), fmt.Sprintf("沈阳市测试路%d号", i+1), "张三"}
	}
	return rows
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// civicflowEnv is the environment the civicflow processes a scenario runs get: the bench's own
// (CIVICFLOW_REDIS_URL and the rest, as the server has them), with the database of -database-url.
func civicflowEnv(o options) []string {
	return append(os.Environ(), "CIVICFLOW_DATABASE_URL="+o.databaseURL)
}
