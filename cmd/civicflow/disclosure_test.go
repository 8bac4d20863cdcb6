package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/disclosure/reporttest"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/stacktest"
)

// The command line gives the same report as the package: the text with table 三's rows, the CSV
// byte for byte, a PDF written to a file; a bad year and an unknown format are refused.
func TestDisclosureReportCommand(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		for _, j := range [][2]string{{"210000", "辽宁省"}, {"210100", "沈阳市"}, {"210200", "大连市"}} {
			if err := jurisdictions.Add(ctx, s.DB, j[0], j[1], ""); err != nil {
				t.Fatal(err)
			}
		}
		reporttest.Insert(t, s.DB, reporttest.Requests2025()...)
		out, err := run(t, s, "", "disclosure", "report", "2025", "--jurisdiction", "210100")
		if err != nil {
			t.Fatalf("text: %v\n%s", err, out)
		}
		for _, want := range []string{"沈阳市民政局2025年政府信息公开工作年度报告", "一、本年新收政府信息公开申请数量 | 5 | 4 | 5 | 4 | 4 | 4 | 26",
			"（七）总计 | 6 | 4 | 4 | 4 | 3 | 4 | 25", "四、结转下年度继续办理 | 0 | 1 | 1 | 0 | 1 | 0 | 3"} {
			if !strings.Contains(out, want) {
				t.Errorf("the text has no %q:\n%s", want, out)
			}
		}
		csvOut, err := run(t, s, "", "disclosure", "report", "2025", "--jurisdiction", "210100", "--format", "csv")
		if err != nil {
			t.Fatal(err)
		}
		r, err := disclosure.Report(ctx, s.DB, 2025, "210100")
		if err != nil {
			t.Fatal(err)
		}
		want, err := r.CSV()
		if err != nil {
			t.Fatal(err)
		}
		if csvOut != string(want) {
			t.Errorf("the command's CSV differs from the package's:\n%s\nwant\n%s", csvOut, want)
		}
		file := filepath.Join(t.TempDir(), "report.pdf")
		if out, err := run(t, s, "", "disclosure", "report", "2025", "--format", "pdf", "--output", file); err != nil ||
			!strings.Contains(out, "辽宁省民政厅2025年政府信息公开工作年度报告") {
			t.Fatalf("pdf of the province (the only root): %v\n%s", err, out)
		}
		if b, err := os.ReadFile(file); err != nil || !bytes.HasPrefix(b, []byte("%PDF-")) {
			t.Errorf("the PDF file: %v", err)
		}
		if out, err := run(t, s, "", "disclosure", "report", "1999", "--jurisdiction", "210100"); err == nil || !strings.Contains(err.Error(), "year") {
			t.Errorf("a bad year: %v\n%s", err, out)
		}
		if out, err := run(t, s, "", "disclosure", "report", "2025", "--format", "doc"); err == nil {
			t.Errorf("an unknown format: %s", out)
		}
	})
}
