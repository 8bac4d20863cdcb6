package accounts_test

import (
	"context"
	"slices"
	"testing"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/stacktest"
)

// An account is in the users' name index (nameindex.Users) as soon as it is created, under the name
// people read for it: its display name, else its login name; an account from the identity platform too.
func TestNewAccountsAreInTheNameIndex(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		named, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "wang", Password: "Correct-Horse-9", DisplayName: "王小明 Wang", Locale: "zh-CN"})
		if err != nil {
			t.Fatal(err)
		}
		bare, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: "li.si", Password: "Correct-Horse-9", Locale: "zh-CN"})
		if err != nil {
			t.Fatal(err)
		}
		external, err := accounts.CreateExternal(ctx, s.DB, audit.System, accounts.ExternalUser{DisplayName: "赵六"})
		if err != nil {
			t.Fatal(err)
		}
		for _, u := range []*accounts.User{named, bare, external} {
			var got []string
			if err := s.DB.NewRaw("SELECT bigram FROM user_name_grams WHERE user_id = ? ORDER BY bigram", u.ID).Scan(ctx, &got); err != nil {
				t.Fatal(err)
			}
			want := nameindex.Grams(u.Name())
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("grams of %q: %q, want %q", u.Name(), got, want)
			}
		}
	})
}
