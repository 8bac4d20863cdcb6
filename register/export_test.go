package register

import (
	"github.com/uptrace/bun"
)

// SearchSQL is the statement Search runs for q, for tests that explain its plan.
func SearchSQL(db bun.IDB, q Query) (string, error) {
	if err := q.check(); err != nil {
		return "", err
	}
	return searchQuery(db, q, &[]Organisation{}).String(), nil
}
