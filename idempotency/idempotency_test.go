package idempotency_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/idempotency"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

func TestCheckKey(t *testing.T) {
	for key, ok := range map[string]bool{
		"0b7c5d1e-4f6a-4b8c-9d0e-1f2a3b4c5d6e": true, "a": true, strings.Repeat("k", 255): true,
		"": false, strings.Repeat("k", 256): false, "with space": false, "中文": false, "tab\t": false,
	} {
		if err := idempotency.CheckKey(key); (err == nil) != ok || (err != nil && !problem.Is(err, problem.BadRequest)) {
			t.Errorf("CheckKey(%q) = %v", key, err)
		}
	}
}

// A key is claimed once, for one request and content; it expires after TTL, when it may be claimed
// again, and Purge removes it.
func TestClaimFindPurge(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "li.ming", Password: "li.ming-password"})
		if err != nil {
			t.Fatal(err)
		}
		claim := func(at time.Time, recordID int64) error {
			k := &idempotency.Key{UserID: u.ID, Key: "k1", Request: "POST /api/v1/cases", Fingerprint: "f1", RecordID: recordID}
			return s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return idempotency.Claim(ctx, tx, k, at) })
		}
		day0 := time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)
		if err := claim(day0, 7); err != nil {
			t.Fatal(err)
		}
		if err := claim(day0.Add(time.Hour), 8); !errors.Is(err, idempotency.ErrTaken) {
			t.Fatalf("a second claim within TTL: %v", err)
		}
		k, err := idempotency.Find(ctx, s.DB, u.ID, "k1", day0.Add(time.Hour))
		if err != nil || k == nil || k.RecordID != 7 || k.Status != 0 {
			t.Fatalf("find: %+v %v", k, err)
		}
		if err := k.Matches("POST /api/v1/cases", "f1"); err != nil {
			t.Errorf("the same request: %v", err)
		}
		for _, other := range [][2]string{{"POST /api/v1/cases", "f2"}, {"POST /api/v1/bookings", "f1"}} {
			if err := k.Matches(other[0], other[1]); !problem.Is(err, problem.Invalid) {
				t.Errorf("another request %v: %v", other, err)
			}
		}
		if err := idempotency.Answer(ctx, s.DB, k, 201, []byte(`{"id":7}`)); err != nil {
			t.Fatal(err)
		}
		if k, _ = idempotency.Find(ctx, s.DB, u.ID, "k1", day0.Add(time.Hour)); k.Status != 201 || k.Response != `{"id":7}` {
			t.Fatalf("the kept answer: %+v", k)
		}

		later := day0.Add(idempotency.TTL + time.Minute)
		if k, err := idempotency.Find(ctx, s.DB, u.ID, "k1", later); k != nil || err != nil {
			t.Fatalf("an expired key is still found: %+v %v", k, err)
		}
		if err := claim(later, 9); err != nil {
			t.Fatalf("claiming an expired key again: %v", err)
		}
		if err := idempotency.Purge(ctx, s.DB, later.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if k, _ := idempotency.Find(ctx, s.DB, u.ID, "k1", later.Add(time.Hour)); k == nil || k.RecordID != 9 {
			t.Fatalf("purge removed a live key: %+v", k)
		}
		if err := idempotency.Purge(ctx, s.DB, later.Add(idempotency.TTL+time.Minute)); err != nil {
			t.Fatal(err)
		}
		var n int64
		if n, err = s.DB.NewSelect().Model((*idempotency.Key)(nil)).Count(ctx); err != nil || n != 0 {
			t.Fatalf("%d keys after purging them all (%v)", n, err)
		}
	})
}

// A page's one-time token claimed before its request writes: bound to the record the request files,
// or released when it files nothing, so that the form may be posted again with it.
func TestClaimBindRelease(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "li.ming", Password: "li.ming-password"})
		if err != nil {
			t.Fatal(err)
		}
		now := time.Now()
		k := &idempotency.Key{UserID: u.ID, Key: "once-1", Request: "POST /catalog/:code/apply"}
		if err := idempotency.Claim(ctx, s.DB, k, now); err != nil {
			t.Fatal(err)
		}
		second := *k
		if err := idempotency.Claim(ctx, s.DB, &second, now); !errors.Is(err, idempotency.ErrTaken) {
			t.Fatalf("a second claim of a held token: %v", err)
		}
		if err := idempotency.Release(ctx, s.DB, k); err != nil {
			t.Fatal(err)
		}
		if err := idempotency.Claim(ctx, s.DB, &second, now); err != nil {
			t.Fatalf("claiming a released token: %v", err)
		}
		if err := s.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error { return idempotency.Bind(ctx, tx, &second, 42) }); err != nil {
			t.Fatal(err)
		}
		if err := idempotency.Release(ctx, s.DB, &second); err != nil {
			t.Fatal(err)
		}
		if found, err := idempotency.Find(ctx, s.DB, u.ID, "once-1", now); err != nil || found == nil || found.RecordID != 42 {
			t.Fatalf("a bound token after a release: %+v %v", found, err)
		}
		if err := idempotency.Bind(ctx, s.DB, &second, 43); !errors.Is(err, idempotency.ErrTaken) {
			t.Fatalf("binding a bound token again: %v", err)
		}
	})
}
