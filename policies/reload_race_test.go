package policies_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/stacktest"
)

// Checks running while the policies reload (another process granted a role) must neither see a
// half-loaded state afterwards nor keep one: once the reloads end, every grant is in force.
func TestChecksDuringReloads(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) { checksDuringReloads(t, s) })
}

func checksDuringReloads(t *testing.T, s *stacktest.Stack) {
	ctx := context.Background()
	addJurisdictions(t, s.DB)
	admin := addUser(t, s.DB, "admin", "zh-CN")
	grantSystem(t, s.DB, admin, policies.Admin, "21*")
	e := newEnforcer(t, s.DB)
	var stop atomic.Bool
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				e.Allowed(admin, liaoning, "user", "write")
				e.Allowed(admin, shenyang, "user", "write")
			}
		}()
	}
	var granters sync.WaitGroup
	for g := range 4 {
		granters.Add(1)
		go func() {
			defer granters.Done()
			for i := range 30 {
				u := addUser(t, s.DB, fmt.Sprintf("citizen%d-%d", g, i), "zh-CN")
				if !e.AllowedSomewhere(admin, "user", "write") {
					t.Errorf("the admin lost user:write after %d grants", i)
				}
				if err := e.Grant(ctx, actor(admin, "admin"), u, policies.Citizen, "", false); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	granters.Wait()
	stop.Store(true)
	wg.Wait()
	for _, code := range []string{liaoning, shenyang, heping} {
		if !e.Allowed(admin, code, "user", "write") {
			t.Errorf("the admin's grant on 21* is not in force in %s after the reloads", code)
		}
	}
}
