package migrations_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/stacktest"
)

// Upgrading indexes the names of the users already there, computed in SQL exactly as
// nameindex.Grams computes them in Go for the users created after: for random names of Chinese
// characters, ASCII letters in both cases (folded), a non-ASCII capital (not folded, as in Go), spaces
// and digits, and the login name of a user without a display name.
func TestUserNameGramsMigration(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		migrateBefore(t, s.DB, "20261212000500")
		r := rand.New(rand.NewPCG(5, 14))
		alphabet := []rune("王小明沈阳AaZzÄä 19-")
		now := time.Date(2026, 12, 12, 1, 0, 0, 0, time.UTC)
		names := map[int64]string{0: "无账号申请人（工作人员录入）"} // workflow.NoApplicant's
		for id := int64(1); id <= 200; id++ {
			rs := make([]rune, r.IntN(12))
			for i := range rs {
				rs[i] = alphabet[r.IntN(len(alphabet))]
			}
			login := "user" + strings.Repeat("x", int(id%7)) + string(rune('a'+id%26)) + strings.Repeat("y", int(id/26))
			names[id] = string(rs)
			if names[id] == "" {
				names[id] = login
			}
			if _, err := s.DB.ExecContext(ctx, `INSERT INTO users (id, login, display_name, password_hash, created_at, updated_at)
				VALUES (?, ?, ?, '!', ?, ?)`, id, login, string(rs), now, now); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := migrations.Up(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
		var rows []struct {
			Bigram string
			UserID int64
		}
		if err := s.DB.NewRaw("SELECT bigram, user_id FROM user_name_grams").Scan(ctx, &rows); err != nil {
			t.Fatal(err)
		}
		got := map[int64][]string{}
		for _, row := range rows {
			got[row.UserID] = append(got[row.UserID], row.Bigram)
		}
		for id, name := range names {
			want := nameindex.Grams(name)
			slices.Sort(want)
			slices.Sort(got[id])
			if !slices.Equal(got[id], want) {
				t.Errorf("grams of user %d %q: %q, want %q", id, name, got[id], want)
			}
		}
		if len(got) != len(names) {
			t.Errorf("grams of %d users, want %d", len(got), len(names))
		}
		if _, err := migrations.Down(ctx, s.DB); err != nil {
			t.Fatal(err)
		}
	})
}
