package register_test

import (
	"context"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

// A change of an organisation imported from the old register starts from the text particulars the
// file gave (business scope, sponsor unit), not from empty fields the applicant must type again; its
// funds, written as the old register wrote them, stay empty.
func TestPrefillOfAnImportedOrganisation(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		cat, _, err := catalog.Load(catalog.Builtin, "", workflow.CatalogNames())
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range [][2]string{{"210000", "辽宁省"}, {"210100", "沈阳市"}} {
			if err := jurisdictions.Add(ctx, s.DB, j[0], j[1], ""); err != nil {
				t.Fatal(err)
			}
		}
		const code = "51210100T0000001XG"
		file := "统一社会信用代码,名称,登记管理机关,成立日期,业务范围\n" + code + ",沈阳市围棋协会,210100,2015-03-20,围棋培训\n"
		if rep, err := register.Import(ctx, s.DB, strings.NewReader(file), register.ImportOptions{Source: "old.csv"}); err != nil || rep.Inserted != 1 {
			t.Fatalf("import: %+v %v", rep, err)
		}
		o, err := register.ByUSCC(ctx, s.DB, code)
		if err != nil {
			t.Fatal(err)
		}
		it, ok := cat.Item("social-group-change")
		if !ok {
			t.Fatal("no social-group-change item")
		}
		got := register.Prefill(o, it.Forms[it.Form])
		if got["business_scope"] != "围棋培训" || got["name"] != "沈阳市围棋协会" || got["funds"] != nil {
			t.Errorf("the prefill of an imported organisation: %v", got)
		}
	})
}
