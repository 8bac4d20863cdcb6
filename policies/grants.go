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

// mayChange is what granting or revoking role in pattern asks of the actor before it looks at the
// user: problem.ErrForbidden unless mayGrant, and otherwise the accounts the actor sees under
// role:read, the only ones it may change.
func (e *Enforcer) mayChange(ctx context.Context, actor audit.Actor, role, pattern string) (Visibility, error) {
	may, err := e.mayGrant(ctx, actor, role, pattern)
	if err != nil {
		return Visibility{}, err
	}
	if !may {
		return Visibility{}, problem.ErrForbidden
	}
	return e.VisibilityOf(ctx, actor.UserID, "role", "read")
}

// visibleGrantee returns the user and its grants when the viewer sees the account (see), and nil
// both when there is no user with the id and when the viewer may not see it. Both cases do the same
// two reads and end alike, so that neither the answer nor the time it takes tells a hidden account
// from a missing one.
func visibleGrantee(ctx context.Context, db bun.IDB, see Visibility, userID int64) (*grantee, []Grant, error) {
	u, err := findGrantee(ctx, db, userID)
	if err != nil {
		return nil, nil, err
	}
	grants, err := grantsOf(ctx, db, userID)
	if err != nil {
		return nil, nil, err
	}
	if u == nil || !see.Holder(grants) {
		return nil, nil, nil
	}
	return u, grants, nil
}

// grantPattern checks the role and the jurisdiction of a grant and returns the pattern it is stored
// under and the jurisdiction code it names: the code, or its subtree when subtree is set, for a staff
// role; "*" and no code for citizen and org_applicant, which are held everywhere.
func grantPattern(role, code string, subtree bool) (string, string, error) {
	var fields problem.Fields
	_, known := RoleByName(role)
	switch {
	case !known:
		unknownRole(&fields)
	case !StaffRole(role):
		return everywhere, "", nil
	}
	if !jurisdictions.ValidCode(code) {
		fields.Add("jurisdiction", "invalid_code", "请填写六位行政区划代码。", "Enter a six-digit division code.")
	}
	if err := fields.Err(); err != nil {
		return "", "", err
	}
	if subtree {
		return jurisdictions.Subtree(code), code, nil
	}
	return code, code, nil
}

// Grant gives the user role in the jurisdiction with code, and in everything below it when
// subtree is set; citizen and org_applicant are held everywhere and take no code. The actor needs
// role:grant there (mayGrant) and must see the account (mayChange): one it may not see is
// unknown_user, exactly like an id without an account. The grant, its audit entry, a notification
// to the user and the revision bump that makes other processes reload are one transaction; granting
// a role the user holds already changes nothing.
func (e *Enforcer) Grant(ctx context.Context, actor audit.Actor, userID int64, role, code string, subtree bool) error {
	pattern, code, err := grantPattern(role, code, subtree)
	if err != nil {
		return err
	}
	see, err := e.mayChange(ctx, actor, role, pattern)
	if err != nil {
		return err
	}
	err = e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		return grantSeen(ctx, tx, see, actor, userID, role, pattern, code)
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

// grantSeen is Grant's transaction: it stores the grant to a user the actor sees, with its audit
// entry, and notifies the user.
func grantSeen(ctx context.Context, tx bun.Tx, see Visibility, actor audit.Actor, userID int64, role, pattern, code string) error {
	var fields problem.Fields
	u, _, err := visibleGrantee(ctx, tx, see, userID)
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
	r, _ := RoleByName(role)
	return notify.Send(ctx, tx, notify.Message{UserID: userID, Template: "role_granted", Data: map[string]any{
		"role": r.Label(u.Locale), "jurisdiction": where.In(u.Locale),
	}})
}

// Revoke takes role in the grant pattern (as Grants lists it) from the user. The actor needs
// role:grant where the pattern applies (mayGrant) and must see the account (mayChange): one it may
// not see is unknown_user, exactly like an id without an account. The removal, its audit entry and
// the revision bump are one transaction; revoking a grant the user does not hold changes nothing.
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
	see, err := e.mayChange(ctx, actor, role, pattern)
	if err != nil {
		return err
	}
	err = e.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		u, _, err := visibleGrantee(ctx, tx, see, userID)
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
