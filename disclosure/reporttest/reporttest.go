// Package reporttest puts requests for government information into the database as the item's
// effects record them (disclosure.Received and disclosure.Closed over cases inserted directly), for
// tests of the annual disclosure report.
package reporttest

import (
	"context"
	"fmt"
	"testing"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/statistics/statstest"
)

// Request is a request to record: its jurisdiction (which must exist), applicant column, the day it
// was received and, when it ended, the day and the outcome ("" for a request still running).
type Request struct {
	Jurisdiction, ApplicantType string
	Received, Closed, Outcome   string
}

// Insert records the requests, each over a case of its own, and returns the cases' ids.
func Insert(t testing.TB, db bun.IDB, reqs ...Request) []int64 {
	t.Helper()
	ctx := context.Background()
	cases := make([]statstest.Case, len(reqs))
	for i, r := range reqs {
		cases[i] = statstest.Case{Item: "information-disclosure", Jurisdiction: r.Jurisdiction, Received: date(t, r.Received).Time(), Closed: r.Closed != ""}
	}
	ids := statstest.Insert(t, db, cases...)
	for i, r := range reqs {
		rec := disclosure.Request{CaseID: ids[i], Jurisdiction: r.Jurisdiction, ApplicantType: r.ApplicantType,
			ApplicantKey: fmt.Sprintf("key-%d", ids[i]), Channel: disclosure.Channels[i%len(disclosure.Channels)]}
		if err := disclosure.Received(ctx, db, rec, date(t, r.Received)); err != nil {
			t.Fatal(err)
		}
		if r.Closed != "" {
			if err := disclosure.Closed(ctx, db, ids[i], r.Outcome, date(t, r.Closed)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ids
}

func date(t testing.TB, s string) calendar.Date {
	t.Helper()
	d, err := calendar.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Year is the year of Requests2025.
const Year = 2025

// Requests2025 are 31 requests, 30 of them of Shenyang (210100): one ending in each outcome of the
// format during 2025, their applicants cycling through the columns; one received in 2024 and closed
// in January 2025 and one received in 2024 still running (carried over); one received and closed in
// 2024 (not counted); one received late in 2025 and still running and one received in December and
// closed in January 2026 (carried into 2026); three more of 2025; one received in 2026; and one of
// Dalian (210200).
func Requests2025() []Request {
	var out []Request
	for i, o := range disclosure.Outcomes {
		out = append(out, Request{"210100", disclosure.ApplicantTypes[i%len(disclosure.ApplicantTypes)],
			fmt.Sprintf("2025-03-%02d", i+1), fmt.Sprintf("2025-04-%02d", i+1), o.Code})
	}
	return append(out,
		Request{"210100", "natural", "2024-12-20", "2025-01-10", "disclosed"},
		Request{"210100", "business", "2024-11-01", "", ""},
		Request{"210100", "natural", "2024-03-01", "2024-04-01", "withheld.process"},
		Request{"210100", "research", "2025-12-28", "", ""},
		Request{"210100", "legal_service", "2025-12-01", "2026-01-05", "partial"},
		Request{"210100", "other", "2025-06-01", "2025-06-20", "disclosed"},
		Request{"210100", "public_welfare", "2025-05-05", "2025-05-25", "disclosed"},
		Request{"210100", "natural", "2026-01-03", "", ""},
		Request{"210100", "natural", "2025-03-03", "2025-03-20", "partial"},
		Request{"210200", "natural", "2025-02-02", "2025-02-20", "disclosed"},
	)
}
