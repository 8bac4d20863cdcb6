package migrations

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// The applicant of applications that staff enter for people who applied outside the service (a
// request for government information by letter, fax or in person; workflow.NoApplicant): user 0,
// disabled and without a password, so that nobody can ever log in as it, and cases keep their
// reference to an applicant. It is named for the pages that show a case's applicant.
func init() {
	all.MustRegister(func(ctx context.Context, db *bun.DB) error {
		now := time.Now().UTC().Truncate(time.Microsecond)
		_, err := db.ExecContext(ctx, `INSERT INTO users (id, login, display_name, password_hash, disabled, created_at, updated_at)
			VALUES (0, '!no-account', '无账号申请人（工作人员录入）', '!', TRUE, ?, ?)`, now, now)
		if err != nil {
			return fmt.Errorf("adding the user of entered applications: %w", err)
		}
		return nil
	}, statements(
		`DELETE FROM users WHERE id = 0`,
	))
}
