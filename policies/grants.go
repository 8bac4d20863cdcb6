package policies

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/problem"
)

// everywhere is the grant pattern of roles held in every jurisdiction: citizen and org_applicant.
const everywhere = "*"

// grantee is the part of a user row that granting needs.
type grantee struct {
	bun.BaseModel `bun:"table:users"`
	ID            int64
	Locale        string
}

// findGrantee returns the user, or nil when there is none with the id.
func findGrantee(ctx context.Context, db bun.IDB, userID int64) (*grantee, error) {
	u := new(grantee)
	err := db.NewSelect().Model(u).Where("id = ?", userID).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading user %d: %w", userID, err)
	}
	return u, nil
}

// findJurisdiction returns the jurisdiction, or nil when there is none with the code.
func findJurisdiction(ctx context.Context, db bun.IDB, code string) (*jurisdictions.Jurisdiction, error) {
	j, err := jurisdictions.Get(ctx, db, code)
	if errors.Is(err, jurisdictions.ErrNotFound) {
		return nil, nil
	}
	return j, err
}

// Field errors, worded once.
func unknownRole(f *problem.Fields) {
	f.Add("role", "unknown_role", "没有这个角色。", "There is no such role.")
}

func unknownUser(f *problem.Fields) {
	f.Add("user_id", "unknown_user", "没有这个用户。", "There is no such user.")
}

func unknownJurisdiction(f *problem.Fields, path string) {
	f.Add(path, "unknown_jurisdiction", "没有这个行政区划。", "There is no such jurisdiction.")
}

// mayGrant reports whether the actor may grant or revoke role in the jurisdictions of pattern: a
// staff role needs role:grant in one grant that covers all of pattern (a city's subtree takes a grant
// of the city's subtree or above, not of the city's own code); the public's roles, held everywhere and
// the condition of applying at all, need role:grant over the whole installation (AllowedEverywhere),
// so that no local admin can lock a person out of the service hall.
func (e *Enforcer) mayGrant(ctx context.Context, actor audit.Actor, role, pattern string) (bool, error) {
	if StaffRole(role) {
		return e.AllowedWithin(actor.UserID, pattern, "role", "grant"), nil
	}
	return e.AllowedEverywhere(ctx, actor.UserID, "role", "grant")
}

// Grant gives the user role in the jurisdiction with code, and in everything below it when
// subtree is set; citizen and org_applicant are held everywhere and take no code. The actor needs
// role:grant there (mayGrant). The grant, its audit entry, a notification to the user and the
// revision bump that makes other processes reload are one transaction; granting a role the user
// holds already changes nothing.
func (e *Enforcer) Grant(ctx context.Context, actor audit.Actor, userID int64, role, code string, subtree bool) error {
	var fields problem.Fields
	r, known := RoleByName(role)
	if !known {
		unknownRole(&fields)
	}
	pattern := everywhere
	if known && !StaffRole(role) {
		code = ""
	} else if !jurisdictions.ValidCode(code) {
		fields.Add("jurisdiction", "invalid_code", "请填写六位行政区划代码。", "Enter a six-digit division code.")
	} else if subtree {
		pattern = jurisdictions.Subtree(code)
	} else {
		pattern = code
	}
	if err := fields.Err(); err != nil {
		return err
	}
	if may, err := e.mayGrant(ctx, actor, role, pattern); err != nil {
		return err
	} else if !may {
		return problem.ErrForbidden
	}

	err := e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u, err := findGrantee(ctx, tx, userID)
		if err != nil {
			return err
		}
		if u == nil {
			unknownUser(&fields)
		}
		var j *jurisdictions.Jurisdiction
		if code != "" {
			if j, err = findJurisdiction(ctx, tx, code); err != nil {
				return err
			}
			if j == nil {
				unknownJurisdiction(&fields, "jurisdiction")
			}
		}
		if err := fields.Err(); err != nil {
			return err
		}
		added, err := grant(ctx, tx, actor, userID, role, pattern, code)
		if err != nil || !added {
			return err
		}
		where := problem.Text{ZH: "全部地区", EN: "all areas"}
		if j != nil {
			where = problem.Text{ZH: j.Name("zh-CN"), EN: j.Name("en")}
		}
		return notify.Send(ctx, tx, notify.Message{UserID: userID, Template: "role_granted", Data: map[string]any{
			"role": r.Label(u.Locale), "jurisdiction": where.In(u.Locale),
		}})
	})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return err
		}
		return fmt.Errorf("granting %s in %s to user %d: %w", role, pattern, userID, err)
	}
	if err := e.Reload(ctx); err != nil {
		return fmt.Errorf("granted %s in %s to user %d, but reloading the policies: %w", role, pattern, userID, err)
	}
	return nil
}

// Revoke takes role in the grant pattern (as Grants lists it) from the user. The actor needs
// role:grant where the pattern applies (mayGrant). The removal, its audit entry and the revision
// bump are one transaction; revoking a grant the user does not hold changes nothing.
func (e *Enforcer) Revoke(ctx context.Context, actor audit.Actor, userID int64, role, pattern string) error {
	var fields problem.Fields
	if _, ok := RoleByName(role); !ok {
		unknownRole(&fields)
	}
	if !validPattern(pattern) {
		fields.Add("pattern", "invalid_pattern", "授权范围有误。", "The scope of the grant is not valid.")
	}
	if err := fields.Err(); err != nil {
		return err
	}
	if may, err := e.mayGrant(ctx, actor, role, pattern); err != nil {
		return err
	} else if !may {
		return problem.ErrForbidden
	}
	err := e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u, err := findGrantee(ctx, tx, userID)
		if err != nil {
			return err
		}
		if u == nil {
			unknownUser(&fields)
			return fields.Err()
		}
		removed, err := deleteRule(ctx, tx, "g", []string{Subject(userID), role, pattern})
		if err != nil || !removed {
			return err
		}
		if err := audit.Record(ctx, tx, actor, "role.revoke", "user", strconv.FormatInt(userID, 10), auditCode(pattern),
			map[string]any{"role": role, "pattern": pattern}); err != nil {
			return err
		}
		return bumpRevision(ctx, tx)
	})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return err
		}
		return fmt.Errorf("revoking %s in %s from user %d: %w", role, pattern, userID, err)
	}
	if err := e.Reload(ctx); err != nil {
		return fmt.Errorf("revoked %s in %s from user %d, but reloading the policies: %w", role, pattern, userID, err)
	}
	return nil
}

// auditCode is the jurisdiction an audit entry about a grant pattern is filed under: the pattern's
// top division, or none for "*".
func auditCode(pattern string) string {
	if pattern == everywhere {
		return ""
	}
	return Representative(pattern)
}

// grant stores the grant with its audit entry and revision bump in tx, and reports whether it was
// new; an existing grant is left alone, unaudited.
func grant(ctx context.Context, tx bun.IDB, actor audit.Actor, userID int64, role, pattern, code string) (bool, error) {
	added, err := insertRule(ctx, tx, "g", []string{Subject(userID), role, pattern})
	if err != nil || !added {
		return false, err
	}
	if err := audit.Record(ctx, tx, actor, "role.grant", "user", strconv.FormatInt(userID, 10), code,
		map[string]any{"role": role, "pattern": pattern}); err != nil {
		return false, err
	}
	if err := bumpRevision(ctx, tx); err != nil {
		return false, err
	}
	return true, nil
}

// GrantSystem gives the user role in the grant pattern without asking whose permission it is and
// without notifying anyone, audited as the system: for the CLI's "user add" and for demo seeding,
// which may pass their own transaction as db. Citizen and org_applicant are always granted in "*".
// Running processes pick the grant up through their watchers.
func GrantSystem(ctx context.Context, db bun.IDB, userID int64, role, pattern string) error {
	var fields problem.Fields
	if _, ok := RoleByName(role); !ok {
		unknownRole(&fields)
	} else if !StaffRole(role) {
		pattern = everywhere
	}
	if !validPattern(pattern) {
		fields.Add("pattern", "invalid_pattern", "授权范围有误。", "The scope of the grant is not valid.")
	}
	if err := fields.Err(); err != nil {
		return err
	}
	err := db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u, err := findGrantee(ctx, tx, userID)
		if err != nil {
			return err
		}
		if u == nil {
			unknownUser(&fields)
		}
		code := auditCode(pattern)
		if code != "" {
			j, err := findJurisdiction(ctx, tx, code)
			if err != nil {
				return err
			}
			if j == nil {
				unknownJurisdiction(&fields, "pattern")
			}
		}
		if err := fields.Err(); err != nil {
			return err
		}
		_, err = grant(ctx, tx, audit.System, userID, role, pattern, code)
		return err
	})
	if err != nil {
		if _, ok := problem.As(err); ok {
			return err
		}
		return fmt.Errorf("granting %s in %s to user %d: %w", role, pattern, userID, err)
	}
	return nil
}
