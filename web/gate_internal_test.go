package web

import (
	"context"
	"errors"
	"testing"
	"time"
)

// Exports beyond the slots wait for one to come free, and are told to come back once they have
// waited long enough; a slot given back lets the next one in.
func TestGateBoundsRequestsAtOnce(t *testing.T) {
	g := newGate(exportSlots, 50*time.Millisecond, errExportBusy)
	ctx := context.Background()
	var releases []func()
	for range exportSlots {
		release, err := g.enter(ctx)
		if err != nil {
			t.Fatalf("a free slot refused: %v", err)
		}
		releases = append(releases, release)
	}
	if _, err := g.enter(ctx); !errors.Is(err, errExportBusy) {
		t.Fatalf("an export beyond the slots: %v, want errExportBusy", err)
	}
	go func() {
		time.Sleep(10 * time.Millisecond)
		releases[0]()
	}()
	release, err := g.enter(ctx)
	if err != nil {
		t.Fatalf("a slot given back while waiting: %v", err)
	}
	release()
}
