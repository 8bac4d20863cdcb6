package main

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// runCases prepares cases untimed and times the staff actions that take each through acceptance,
// review and decision.
func runCases(ctx context.Context, o options) error {
	b, err := setUp(ctx, o)
	if err != nil {
		return err
	}
	fmt.Printf("preparing %d cases with %d clients…\n", o.cases, o.clients)
	start := time.Now()
	ids, startLat, err := b.prepare(ctx, o.cases, o.clients)
	if err != nil {
		return err
	}
	prep := time.Since(start)
	fmt.Printf("timing the staff actions on %d cases with %d clients…\n", len(ids), o.clients)
	lat := map[string][]time.Duration{}
	var mu sync.Mutex
	var firstErr error
	work := make(chan int64)
	var wg sync.WaitGroup
	t0 := time.Now()
	for i := 0; i < o.clients; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range work {
				got, err := b.decide(ctx, id)
				mu.Lock()
				for k, v := range got {
					lat[k] = append(lat[k], v...)
				}
				if err != nil && firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	for _, id := range ids {
		work <- id
	}
	close(work)
	wg.Wait()
	elapsed := time.Since(t0)
	if firstErr != nil {
		return firstErr
	}
	var all []time.Duration
	for _, v := range lat {
		all = append(all, v...)
	}
	fmt.Printf("\nprepared %d cases in %s (start: %s)\n", len(ids), prep.Round(time.Millisecond), summary(startLat))
	fmt.Printf("actions: %d in %s = %.0f actions/s with %d clients\n", len(all), elapsed.Round(time.Millisecond),
		float64(len(all))/elapsed.Seconds(), o.clients)
	fmt.Printf("  all actions   %s\n", summary(all))
	names := make([]string, 0, len(lat))
	for k := range lat {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		fmt.Printf("  %-13s %s\n", k, summary(lat[k]))
	}
	return nil
}
