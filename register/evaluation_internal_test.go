package register

import (
	"testing"
	"time"

	"github.com/civicflow/civicflow/calendar"
)

// Full years count from 1 January: registered during 2024 or on 1 January 2025, an organisation has
// two full years on 1 January 2027; a level announced on 7 December 2026 is valid to 6 December 2031.
func TestEvaluationDates(t *testing.T) {
	at := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 10, 0, 0, 0, calendar.Zone) }
	for _, tc := range []struct {
		registered time.Time
		want       string
	}{
		{at(2024, time.March, 1), "2027-01-01"},
		{at(2024, time.December, 31), "2027-01-01"},
		{at(2024, time.January, 1), "2026-01-01"},
		{time.Date(2024, time.December, 31, 16, 30, 0, 0, time.UTC), "2027-01-01"}, // 1 January 2025 in China
	} {
		if got := eligibleFrom(tc.registered, 2).String(); got != tc.want {
			t.Errorf("registered %s: eligible from %s, want %s", tc.registered, got, tc.want)
		}
	}
	if got := levelValidUntil(at(2026, time.December, 7)).String(); got != "2031-12-06" {
		t.Errorf("valid until %s", got)
	}
}
