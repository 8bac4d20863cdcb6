package policies

import (
	"context"
	"errors"
	"fmt"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/uptrace/bun"
)

// maxRuleFields is the number of value columns of casbin_rule (v0..v5).
const maxRuleFields = 6

// casbinRule is one row of casbin_rule: a policy line such as "p, admin, *, user, read" or a grant
// "g, user:42, reviewer, 2101*".
type casbinRule struct {
	bun.BaseModel `bun:"table:casbin_rule"`

	ID    int64  `bun:"id,pk,autoincrement"`
	PType string `bun:"ptype"`
	V0    string `bun:"v0"`
	V1    string `bun:"v1"`
	V2    string `bun:"v2"`
	V3    string `bun:"v3"`
	V4    string `bun:"v4"`
	V5    string `bun:"v5"`
}

// newRule builds the row of a rule, refusing rules with more values than the table has columns.
func newRule(ptype string, rule []string) (casbinRule, error) {
	if ptype == "" {
		return casbinRule{}, errors.New("policy rule without a type")
	}
	if len(rule) > maxRuleFields {
		return casbinRule{}, fmt.Errorf("policy rule %s %v has %d values, at most %d fit", ptype, rule, len(rule), maxRuleFields)
	}
	var v [maxRuleFields]string
	copy(v[:], rule)
	return casbinRule{PType: ptype, V0: v[0], V1: v[1], V2: v[2], V3: v[3], V4: v[4], V5: v[5]}, nil
}

// values returns the rule's values without the empty trailing columns.
func (r casbinRule) values() []string {
	v := []string{r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	n := len(v)
	for n > 0 && v[n-1] == "" {
		n--
	}
	return v[:n]
}

// whereRule restricts q to the row equal to r in every column but id.
func whereRule(q *bun.DeleteQuery, r casbinRule) *bun.DeleteQuery {
	return q.Where("ptype = ?", r.PType).Where("v0 = ?", r.V0).Where("v1 = ?", r.V1).Where("v2 = ?", r.V2).
		Where("v3 = ?", r.V3).Where("v4 = ?", r.V4).Where("v5 = ?", r.V5)
}

// Adapter stores casbin policies in the casbin_rule table through bun, so that every CivicFlow
// process, on SQLite or PostgreSQL, enforces the same rules. Its methods have no context because
// casbin's Adapter interface has none; they run with context.Background.
type Adapter struct {
	db bun.IDB
}

var (
	_ persist.Adapter      = (*Adapter)(nil)
	_ persist.BatchAdapter = (*Adapter)(nil)
)

// NewAdapter returns an adapter over db's casbin_rule table.
func NewAdapter(db bun.IDB) *Adapter { return &Adapter{db: db} }

// LoadPolicy loads every stored rule into m.
func (a *Adapter) LoadPolicy(m model.Model) error {
	var rows []casbinRule
	if err := a.db.NewSelect().Model(&rows).Order("id").Scan(context.Background()); err != nil {
		return fmt.Errorf("reading casbin_rule: %w", err)
	}
	for _, r := range rows {
		if err := persist.LoadPolicyArray(append([]string{r.PType}, r.values()...), m); err != nil {
			return fmt.Errorf("loading casbin_rule %d (%s %v): %w", r.ID, r.PType, r.values(), err)
		}
	}
	return nil
}

// SavePolicy replaces every stored rule by the rules of m, in one transaction so that no process
// ever loads a half-written policy.
func (a *Adapter) SavePolicy(m model.Model) error {
	var rows []casbinRule
	for _, sec := range []string{"p", "g"} {
		for ptype, ast := range m[sec] {
			for _, rule := range ast.Policy {
				r, err := newRule(ptype, rule)
				if err != nil {
					return err
				}
				rows = append(rows, r)
			}
		}
	}
	ctx := context.Background()
	return a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*casbinRule)(nil)).Where("1 = 1").Exec(ctx); err != nil {
			return fmt.Errorf("clearing casbin_rule: %w", err)
		}
		if len(rows) == 0 {
			return nil
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return fmt.Errorf("writing casbin_rule: %w", err)
		}
		return nil
	})
}

// AddPolicy stores one rule; storing a rule that is there already does nothing.
func (a *Adapter) AddPolicy(sec string, ptype string, rule []string) error {
	return a.AddPolicies(sec, ptype, [][]string{rule})
}

// AddPolicies stores rules in one transaction, skipping those already stored.
func (a *Adapter) AddPolicies(sec string, ptype string, rules [][]string) error {
	ctx := context.Background()
	return a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, rule := range rules {
			if _, err := insertRule(ctx, tx, ptype, rule); err != nil {
				return err
			}
		}
		return nil
	})
}

// RemovePolicy deletes one rule.
func (a *Adapter) RemovePolicy(sec string, ptype string, rule []string) error {
	return a.RemovePolicies(sec, ptype, [][]string{rule})
}

// RemovePolicies deletes rules in one transaction.
func (a *Adapter) RemovePolicies(sec string, ptype string, rules [][]string) error {
	ctx := context.Background()
	return a.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		for _, rule := range rules {
			if _, err := deleteRule(ctx, tx, ptype, rule); err != nil {
				return err
			}
		}
		return nil
	})
}

// RemoveFilteredPolicy deletes the rules of ptype whose values, from column fieldIndex on, equal
// fieldValues; an empty field value matches anything.
func (a *Adapter) RemoveFilteredPolicy(sec string, ptype string, fieldIndex int, fieldValues ...string) error {
	if fieldIndex < 0 || fieldIndex+len(fieldValues) > maxRuleFields {
		return fmt.Errorf("policy filter from v%d with %d values does not fit v0..v%d", fieldIndex, len(fieldValues), maxRuleFields-1)
	}
	q := a.db.NewDelete().Model((*casbinRule)(nil)).Where("ptype = ?", ptype)
	for i, v := range fieldValues {
		if v != "" {
			q = q.Where("? = ?", bun.Ident(fmt.Sprintf("v%d", fieldIndex+i)), v)
		}
	}
	if _, err := q.Exec(context.Background()); err != nil {
		return fmt.Errorf("deleting %s rules from v%d matching %v: %w", ptype, fieldIndex, fieldValues, err)
	}
	return nil
}

// insertRule stores one rule unless it is stored already, and reports whether it stored it.
func insertRule(ctx context.Context, db bun.IDB, ptype string, rule []string) (bool, error) {
	r, err := newRule(ptype, rule)
	if err != nil {
		return false, err
	}
	res, err := db.NewInsert().Model(&r).On("CONFLICT DO NOTHING").Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("storing %s rule %v: %w", ptype, rule, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("storing %s rule %v: %w", ptype, rule, err)
	}
	return n > 0, nil
}

// deleteRule deletes one rule and reports whether it was stored.
func deleteRule(ctx context.Context, db bun.IDB, ptype string, rule []string) (bool, error) {
	r, err := newRule(ptype, rule)
	if err != nil {
		return false, err
	}
	res, err := whereRule(db.NewDelete().Model((*casbinRule)(nil)), r).Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("deleting %s rule %v: %w", ptype, rule, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("deleting %s rule %v: %w", ptype, rule, err)
	}
	return n > 0, nil
}
