package stacktest

import (
	"context"
	"strings"
	"sync"

	"github.com/uptrace/bun"
)

// Statements is a bun query hook that records the SQL sent through it: for tests that bound the
// round trips of an operation (docs/benchmarks.md, issue 14) or explain its queries.
//
//	st := &stacktest.Statements{}
//	db := s.DB.WithQueryHook(st)
type Statements struct {
	mu  sync.Mutex
	sql []string
}

// BeforeQuery is part of bun.QueryHook.
func (s *Statements) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

// AfterQuery records the statement.
func (s *Statements) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sql = append(s.sql, e.Query)
}

// Take returns the statements sent since the last Take and forgets them.
func (s *Statements) Take() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.sql
	s.sql = nil
	return out
}

// During returns the statements sent while fn ran.
func (s *Statements) During(fn func()) []string {
	s.Take()
	fn()
	return s.Take()
}

// On returns the statements of q that name one of tables, as bun quotes a table's name.
func On(q []string, tables ...string) []string {
	var out []string
	for _, s := range q {
		for _, table := range tables {
			if strings.Contains(s, `"`+table+`"`) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}
