package documents

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/jurisdictions"
)

// Authority is what a jurisdiction's documents name (catalog.Authority with every value filled).
type Authority = catalog.Authority

// AuthorityFor returns the authority of the jurisdiction: authorities.yaml's entry, its empty values
// derived from the jurisdiction's name (辽宁省 → 辽, 辽宁省民政厅, 辽宁省人民政府, and the court as
// 辽宁省有管辖权的人民法院, an honest default until the department names one).
func AuthorityFor(ctx context.Context, db bun.IDB, cat *catalog.Catalog, code string) (Authority, error) {
	a, _ := cat.Authority(code)
	a.Jurisdiction = code
	if a.Abbreviation != "" && a.Name != "" && a.ReviewBody != "" && a.Court != "" {
		return a, nil
	}
	j, err := jurisdictions.Get(ctx, db, code)
	if err != nil {
		return a, err
	}
	name := strings.TrimSpace(j.NameZH)
	if a.Abbreviation == "" {
		a.Abbreviation = string([]rune(name)[:min(1, len([]rune(name)))])
	}
	if a.Name == "" {
		a.Name = name + "民政局"
		if jurisdictions.LevelOf(code) == jurisdictions.Province {
			a.Name = name + "民政厅"
		}
	}
	if a.ReviewBody == "" {
		a.ReviewBody = name + "人民政府"
	}
	if a.Court == "" {
		a.Court = name + "有管辖权的人民法院"
	}
	return a, nil
}
