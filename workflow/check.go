package workflow

import (
	"context"
	"errors"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
)

// errChecked ends the transaction of a check once every check has passed, so that nothing is written.
var errChecked = errors.New("workflow: checked; nothing written")

// CheckStart answers as Start would for the same call and writes nothing: nil when Start would file
// the case now, else the same problem, with every field error at once. A page that cannot file what
// it was sent anyway (an upload was refused) uses it to report everything else with it.
func (e *Engine) CheckStart(ctx context.Context, actor audit.Actor, itemCode, jurisdiction string, data map[string]any) error {
	_, err := e.Start(ctx, actor, itemCode, jurisdiction, data,
		WithinStart(func(context.Context, bun.Tx, *Case) error { return errChecked }))
	if errors.Is(err, errChecked) {
		return nil
	}
	return err
}

// CheckApply answers as Apply would for the same call and writes nothing, like CheckStart.
func (e *Engine) CheckApply(ctx context.Context, actor audit.Actor, caseID int64, req ApplyRequest) error {
	_, err := e.Apply(ctx, actor, caseID, req, WithinApply(func(context.Context, bun.Tx) error { return errChecked }))
	if errors.Is(err, errChecked) {
		return nil
	}
	return err
}
