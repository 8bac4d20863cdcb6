package register_test

import (
	"context"
	"testing"
	"time"

	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// RecordEvent, the API other procedures record their events with, keeps each event with its
// decision, note and changes, and HistoryOf lists them after the organisation's own events, oldest
// first, whatever order they were recorded in; an event without a kind is refused.
func TestRecordEventAndHistoryOf(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		seed(t, s.DB)
		o, err := register.Create(ctx, s.DB, register.NewOrganisation{Name: "沈阳市围棋协会", Kind: register.KindSocialGroup, Jurisdiction: "210100"})
		if err != nil {
			t.Fatal(err)
		}
		later := time.Now().Add(48 * time.Hour)
		if err := register.RecordEvent(ctx, s.DB, o.ID, register.Event{Kind: "evaluated", At: later, Note: "4A"}, ""); err != nil {
			t.Fatal(err)
		}
		change := register.Change{Particular: "name", Old: lang.Text{ZH: "旧", EN: "旧"}, New: lang.Text{ZH: "新", EN: "新"}}
		if err := register.RecordEvent(ctx, s.DB, o.ID, register.Event{Kind: register.EventChanged, Decision: "沈民社变〔2026〕1号",
			Changes: []register.Change{change}}, "210100-2026-000001"); err != nil {
			t.Fatal(err)
		}
		if err := register.RecordEvent(ctx, s.DB, o.ID, register.Event{}, ""); err == nil {
			t.Error("an event without a kind was recorded")
		}
		h, err := register.HistoryOf(ctx, s.DB, o)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 3 || h[0].Kind != register.EventEstablished || h[1].Kind != register.EventChanged || h[2].Kind != "evaluated" {
			t.Fatalf("the history: %+v", h)
		}
		if h[1].Decision != "沈民社变〔2026〕1号" || len(h[1].Changes) != 1 || h[1].Changes[0] != change || h[2].Note != "4A" ||
			h[2].On.String() == "" {
			t.Errorf("the recorded events read back: %+v", h[1:])
		}
	})
}
