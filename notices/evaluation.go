package notices

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/documents"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/workflow"
)

// The workflow effects of the evaluation (评估) item that publish its notices.
const (
	EffectEvaluationPublicity = "notices.publish_evaluation_publicity"
	EffectEvaluationResult    = "notices.publish_evaluation_result"
)

// EvaluationPublicity is the workflow effect EffectEvaluationPublicity: the 评估等级公示 of the level
// the scoring proposed (the case's proposed_level and evaluation_score), with the statutory period of
// the clock over the state the action leads to (the 公示 period), during which the organisation may
// ask for a review (复核).
func (fx Effects) EvaluationPublicity(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, auth, err := fx.evaluated(ctx, tx, c)
	if err != nil {
		return err
	}
	period := ""
	for _, k := range item.Workflow.Clocks {
		switch {
		case !slices.Contains(k.States, c.State) || k.Statutory.Days == 0:
		case k.Statutory.Unit == catalog.WorkingDays:
			period = fmt.Sprintf("%d个工作日", k.Statutory.Days)
		default:
			period = fmt.Sprintf("%d日", k.Statutory.Days)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "经评估，%s拟评定等级如下，现予公示", auth.Name)
	if period != "" {
		fmt.Fprintf(&b, "，公示期为%s（自%s起算）", period, calendar.DateOf(c.UpdatedAt))
	}
	b.WriteString("。\n\n")
	fmt.Fprintf(&b, "名称：%s\n统一社会信用代码：%s\n评估得分：%v\n拟评等级：%s\n\n", o.Name, o.USCC, c.Fields["evaluation_score"], c.Fields["proposed_level"])
	b.WriteString("被评估的社会组织对拟评等级有异议的，可在公示期内申请复核；复核委员会自收到复核申请之日起15日内作出复核决定。")
	return publishSystem(ctx, tx, c, CategoryOrganisations, KindEvaluationPublicity, o.Name+"评估等级公示", b.String(), nil)
}

// EvaluationResult is the workflow effect EffectEvaluationResult: the 评估等级公告 of the level just
// announced. Run it after register.record_evaluation, which sets the level and its validity.
func (fx Effects) EvaluationResult(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	o, auth, err := fx.evaluated(ctx, tx, c)
	if err != nil {
		return err
	}
	level, _ := c.Fields["level"].(string)
	until, _ := c.Fields["level_valid_until"].(string)
	if level == "" {
		return fmt.Errorf("case %s: %s runs after %s", c.Number, EffectEvaluationResult, register.EffectRecordEvaluation)
	}
	body := fmt.Sprintf("经评估和公示，%s评定%s为%s级社会组织。\n\n名称：%s\n统一社会信用代码：%s\n评估等级：%s\n有效期：%s至%s\n\n特此公告。",
		auth.Name, o.Name, level, o.Name, o.USCC, level, calendar.DateOf(c.UpdatedAt), until)
	return publishSystem(ctx, tx, c, CategoryOrganisations, KindEvaluationResult, o.Name+"评估等级公告", body, nil)
}

// evaluated is the organisation an evaluation case is about and the authority that evaluates it.
func (fx Effects) evaluated(ctx context.Context, tx bun.IDB, c *workflow.Case) (*register.Organisation, documents.Authority, error) {
	o, err := register.Subject(ctx, tx, c)
	if err != nil {
		return nil, documents.Authority{}, err
	}
	auth, err := documents.AuthorityFor(ctx, tx, fx.Catalog, c.Jurisdiction)
	if err != nil {
		return nil, documents.Authority{}, fmt.Errorf("naming the authority of case %s: %w", c.Number, err)
	}
	return o, auth, nil
}
