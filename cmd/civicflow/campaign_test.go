package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// The command line opens a year's annual-report campaign for a jurisdiction: bad input is said on its
// flag, the organisations registered by 1 July get their report once, and a second opening is refused.
func TestCampaignOpenCommand(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		for _, j := range [][2]string{{"210000", "辽宁省"}, {"210100", "沈阳市"}} {
			if err := jurisdictions.Add(ctx, s.DB, j[0], j[1], ""); err != nil {
				t.Fatal(err)
			}
		}
		for _, name := range []string{"沈阳市围棋协会", "沈阳市象棋协会"} {
			o, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: name, Kind: register.KindSocialGroup, Jurisdiction: "210100"})
			if err != nil {
				t.Fatal(err)
			}
			registered := time.Date(2020, 3, 1, 0, 0, 0, 0, time.UTC)
			if _, err := s.DB.NewUpdate().Model((*register.Organisation)(nil)).Set("registered_at = ?", registered).Where("id = ?", o.ID).Exec(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if out, err := run(t, s, "", "campaign", "open", "annual-report", "2025", "--jurisdiction", "210000", "--deadline-foundation", "2026-13-01"); err == nil ||
			!strings.Contains(err.Error()+out, "foundation") {
			t.Fatalf("a bad deadline: %v\n%s", err, out)
		}
		out, err := run(t, s, "", "campaign", "open", "annual-report", "2025", "--jurisdiction", "210000")
		if err != nil || !strings.Contains(out, "opened for 2 organisation(s)") || !strings.Contains(out, "2026-05-31 (social groups)") {
			t.Fatalf("opening: %v\n%s", err, out)
		}
		if out, err := run(t, s, "", "campaign", "open", "annual-report", "2025", "--jurisdiction", "210000"); err == nil {
			t.Fatalf("a second opening of the same campaign: %s", out)
		}
		// The city's own campaign finds every organisation already given its report by the province's.
		if out, err := run(t, s, "", "campaign", "open", "annual-report", "2025", "--jurisdiction", "210100"); err != nil ||
			!strings.Contains(out, "opened for 0 organisation(s)") {
			t.Fatalf("the city's campaign after the province's: %v\n%s", err, out)
		}
	})
}
