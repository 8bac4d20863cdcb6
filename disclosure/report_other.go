package disclosure

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/consultations"
	"github.com/civicflow/civicflow/inquiries"
	"github.com/civicflow/civicflow/ratings"
)

// inquiryKinds are the kinds of package inquiries in the order the report lists them, with their names.
var inquiryKinds = [][2]string{{"question", "咨询"}, {"complaint", "投诉"}, {"suggestion", "建议"}}

// otherTables are the tables after table 四 counting the department's other work with the public in
// the year, in the jurisdiction alone like the rest of the report: consultations, complaints and
// suggestions (received, answered, answered in time), drafts put to public comment (drafts, comments,
// comments adopted) and service ratings (per level, 好评率).
func otherTables(ctx context.Context, db bun.IDB, year int, jurisdiction string) ([]ReportTable, error) {
	asked, err := inquiries.Counts(ctx, db, year, jurisdiction)
	if err != nil {
		return nil, err
	}
	inq := ReportTable{Key: "inquiries", Title: "咨询、投诉、建议办理情况", Head: 1,
		Rows: [][]string{{"类别", "收到", "已答复", "按期答复"}}}
	for _, k := range inquiryKinds {
		var received, answered, onTime int
		for _, c := range asked {
			if c.Kind == k[0] && c.Jurisdiction == jurisdiction {
				received, answered, onTime = received+c.Received, answered+c.Answered, onTime+c.OnTime
			}
		}
		inq.Rows = append(inq.Rows, []string{k[1], itoa(received), itoa(answered), itoa(onTime)})
	}

	drafts, err := consultations.Counts(ctx, db, year, jurisdiction)
	if err != nil {
		return nil, err
	}
	pc := ReportTable{Key: "consultations", Title: "公开征求意见情况", Head: 1, Rows: [][]string{{"项目", "本年数量"},
		{"公开征求意见的草案", itoa(drafts.Drafts)}, {"收到意见", itoa(drafts.Comments)}, {"采纳意见（含部分采纳）", itoa(drafts.Adopted)}}}

	rated, err := ratings.Counts(ctx, db, year, jurisdiction)
	if err != nil {
		return nil, err
	}
	rt := ReportTable{Key: "ratings", Title: "政务服务好差评情况", Head: 1, Rows: [][]string{{"评价", "数量"}}}
	for _, level := range ratings.Levels {
		rt.Rows = append(rt.Rows, []string{ratings.LevelName(level, "zh-CN"), itoa(rated.Of(level))})
	}
	rate := "—"
	if rated.GoodRate != nil {
		rate = fmt.Sprintf("%.1f%%", *rated.GoodRate*100)
	}
	rt.Rows = append(rt.Rows, []string{"总计", itoa(rated.Total)}, []string{"好评率", rate})
	return []ReportTable{inq, pc, rt}, nil
}
