package policies

import (
	"context"
	"slices"
	"strings"

	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
)

// Within reports whether every jurisdiction the grant pattern inner covers is covered by the grant
// pattern outer too: "210102", "2101*" and "21*" lie within "21*"; "2101*" does not lie within the
// plain code "210100" (which leaves out the city's counties), and only "*" contains "*".
func Within(inner, outer string) bool {
	switch {
	case outer == everywhere:
		return true
	case inner == everywhere:
		return false
	}
	if prefix, subtree := strings.CutSuffix(outer, "*"); subtree {
		return strings.HasPrefix(strings.TrimSuffix(inner, "*"), prefix)
	}
	return inner == outer
}

// AllowedWithin reports whether one of the user's grants whose role gives act on obj covers every
// jurisdiction of the grant pattern: what granting or revoking a staff role in pattern takes.
func (e *Enforcer) AllowedWithin(userID int64, pattern, obj, act string) bool {
	return slices.ContainsFunc(e.Scopes(userID, obj, act), func(scope string) bool { return Within(pattern, scope) })
}

// AllowedEverywhere reports whether the user may do act on obj across the whole installation: in a
// grant held everywhere ("*"), or in grants that cover the subtree of every root jurisdiction (every
// province) of the jurisdictions table. This is the one test for what belongs to no jurisdiction:
// the public's roles, the accounts of people without a staff role, the process's metrics and the
// messages of everybody. An installation without jurisdictions is covered by "*" only.
func (e *Enforcer) AllowedEverywhere(ctx context.Context, userID int64, obj, act string) (bool, error) {
	scopes := e.Scopes(userID, obj, act)
	if len(scopes) == 0 {
		return false, nil
	}
	if slices.Contains(scopes, everywhere) {
		return true, nil
	}
	roots, err := jurisdictions.Roots(ctx, e.db)
	if err != nil {
		return false, err
	}
	for _, root := range roots {
		if !e.AllowedWithin(userID, jurisdictions.Subtree(root), obj, act) {
			return false, nil
		}
	}
	return len(roots) > 0, nil
}

// Visibility is what one caller may see of accounts and their grants under a read permission
// (user:read for the list of accounts, role:read for grants and for whom one may grant or revoke a
// role). An installation-wide holder (AllowedEverywhere) sees every account and every grant. Anyone
// else sees the grants lying within the patterns of its own grants of the permission, and the
// accounts holding at least one such grant: staff of its jurisdictions, but not citizens,
// organisation applicants, nor staff elsewhere, all of whom are to it as if they did not exist.
//
// An account without any role belongs to no jurisdiction yet, and is seen by every holder who may
// grant roles somewhere (role:grant): so that a county's admin can find a new colleague's fresh
// account and give it its first role in the county, after which only those whose scope covers that
// role see it.
type Visibility struct {
	everywhere bool
	fresh      bool // sees accounts without any role: the caller may grant roles somewhere
	scopes     []string
}

// VisibilityOf returns what the user may see under obj:act.
func (e *Enforcer) VisibilityOf(ctx context.Context, userID int64, obj, act string) (Visibility, error) {
	all, err := e.AllowedEverywhere(ctx, userID, obj, act)
	if err != nil {
		return Visibility{}, err
	}
	scopes := e.Scopes(userID, obj, act)
	fresh := len(scopes) > 0 && e.AllowedSomewhere(userID, "role", "grant")
	return Visibility{everywhere: all, fresh: fresh, scopes: scopes}, nil
}

// Grant reports whether the caller sees the grant.
func (v Visibility) Grant(g Grant) bool {
	return v.everywhere || slices.ContainsFunc(v.scopes, func(scope string) bool { return Within(g.Pattern, scope) })
}

// Grants keeps the grants the caller sees, in their order.
func (v Visibility) Grants(gs []Grant) []Grant {
	out := []Grant{}
	for _, g := range gs {
		if v.Grant(g) {
			out = append(out, g)
		}
	}
	return out
}

// Holder reports whether the caller sees the account that holds the grants.
func (v Visibility) Holder(gs []Grant) bool {
	return v.everywhere || (v.fresh && len(gs) == 0) || slices.ContainsFunc(gs, v.Grant)
}

// GrantsSeenBy returns the grants of the user that the viewer may see under role:read
// (VisibilityOf). A user the viewer may not see is problem.ErrNotFound, exactly like a user that does
// not exist (visibleGrantee), so that the answer tells nothing of accounts beyond the viewer's reach.
func (e *Enforcer) GrantsSeenBy(ctx context.Context, viewerID, userID int64) ([]Grant, error) {
	see, err := e.VisibilityOf(ctx, viewerID, "role", "read")
	if err != nil {
		return nil, err
	}
	u, grants, err := visibleGrantee(ctx, e.db, see, userID)
	if err != nil {
		return nil, err
	}
	if u == nil {
		return nil, problem.ErrNotFound
	}
	return see.Grants(grants), nil
}
