package disclosure_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/statistics/statstest"
)

// The report of 2025 for Shenyang counts Shenyang's consultations, complaints and suggestions of 2025
// (received, answered, answered in time), its drafts put to public comment that year with their
// comments and adopted comments, and its service ratings per level with the 好评率 — not Dalian's,
// not 2024's.
func TestReportCountsTheOtherWork(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		addJurisdictions(t, s)
		at := func(day string) time.Time {
			d, err := time.ParseInLocation("2006-01-02", day, time.FixedZone("CST", 8*3600))
			if err != nil {
				t.Fatal(err)
			}
			return d.Add(10 * time.Hour).UTC()
		}
		exec := func(query string, args ...any) {
			t.Helper()
			if _, err := s.DB.NewRaw(query, args...).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		inquiry := func(n int, kind, jur, received, status, dueOn, repliedOn string) {
			exec(`INSERT INTO inquiries (number, kind, jurisdiction, title, body, received_at, due_on, status, replied_on)
				VALUES (?, ?, ?, 't', 'b', ?, ?, ?, ?)`, "T-"+string(rune('A'+n)), kind, jur, at(received), dueOn, status, repliedOn)
		}
		inquiry(0, "question", "210100", "2025-03-02", "answered", "2025-03-09", "2025-03-05")
		inquiry(1, "question", "210100", "2025-06-02", "answered", "2025-06-09", "2025-06-12") // late
		inquiry(2, "complaint", "210100", "2025-12-30", "open", "2026-01-20", "")
		inquiry(3, "suggestion", "210100", "2024-12-30", "answered", "2025-01-20", "2025-01-05") // 2024's
		inquiry(4, "question", "210200", "2025-03-02", "answered", "2025-03-09", "2025-03-05")   // Dalian's

		var draft int64
		if err := s.DB.NewRaw(`INSERT INTO consultations (jurisdiction, kind, status, title, body, explanation, starts_on,
			ends_on, created_at, updated_at, published_at) VALUES ('210100', 'normative', 'concluded', 't', 'b', 'e',
			'2025-04-01', '2025-04-15', ?, ?, ?) RETURNING id`, at("2025-03-30"), at("2025-03-30"), at("2025-03-31")).
			Scan(ctx, &draft); err != nil {
			t.Fatal(err)
		}
		for i, c := range [][2]string{{"approved", "adopted"}, {"approved", "partly"}, {"approved", "rejected"}, {"hidden", ""}} {
			exec(`INSERT INTO consultation_comments (consultation_id, number, body, status, decision, created_at)
				VALUES (?, ?, 'c', ?, ?, ?)`, draft, i+1, c[0], c[1], at("2025-04-02"))
		}

		cases := statstest.Insert(t, s.DB, statstest.Case{Item: "information-disclosure", Jurisdiction: "210100", Closed: true})
		var rater int64
		if err := s.DB.NewRaw(`SELECT applicant_id FROM cases WHERE id = ?`, cases[0]).Scan(ctx, &rater); err != nil {
			t.Fatal(err)
		}
		for _, r := range []struct {
			level     int
			jur, when string
		}{{5, "210100", "2025-05-01"}, {4, "210100", "2025-05-02"}, {4, "210100", "2025-05-03"}, {1, "210100", "2025-05-04"},
			{1, "210200", "2025-05-04"}, {2, "210100", "2024-05-04"}} {
			exec(`INSERT INTO ratings (subject, rater_id, jurisdiction, level, created_at) VALUES ('case', ?, ?, ?, ?)`,
				rater, r.jur, r.level, at(r.when))
		}

		r, err := disclosure.Report(ctx, s.DB, 2025, "210100")
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][][]string{
			"inquiries":     {{"类别", "收到", "已答复", "按期答复"}, {"咨询", "2", "2", "1"}, {"投诉", "1", "0", "0"}, {"建议", "0", "0", "0"}},
			"consultations": {{"项目", "本年数量"}, {"公开征求意见的草案", "1"}, {"收到意见", "4"}, {"采纳意见（含部分采纳）", "2"}},
			"ratings": {{"评价", "数量"}, {"非常满意", "1"}, {"满意", "2"}, {"基本满意", "0"}, {"不满意", "0"},
				{"非常不满意", "1"}, {"总计", "4"}, {"好评率", "75.0%"}},
		}
		if len(r.Other) != len(want) {
			t.Fatalf("other tables: %+v", r.Other)
		}
		for _, tb := range r.Other {
			if !slices.EqualFunc(tb.Rows, want[tb.Key], slices.Equal) {
				t.Errorf("table %s: got %q, want %q", tb.Key, tb.Rows, want[tb.Key])
			}
		}
	})
}
