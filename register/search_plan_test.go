package register_test

import (
	"context"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/stacktest"
)

// syntheticNames returns n organisation names made the way real ones are (division + field +
// form, 民政部令第69号), drawn from a fixed seed so that runs compare.
func syntheticNames(n int) []string {
	divisions := []string{"辽宁省", "沈阳市", "大连市", "鞍山市", "抚顺市", "本溪市", "丹东市", "锦州市", "营口市", "阜新市",
		"辽阳市", "盘锦市", "铁岭市", "朝阳市", "葫芦岛市", "和平区", "沈河区", "皇姑区", "铁西区", "浑南区", "中山区", "西岗区"}
	fields := []string{"摄影", "书法", "美术", "音乐", "舞蹈", "足球", "篮球", "乒乓球", "游泳", "登山", "志愿者", "青年创新创业",
		"养老服务", "残疾人康复", "环境保护", "家庭教育", "心理咨询", "法律援助", "中医药", "食品安全", "物业管理", "电子商务",
		"软件", "物流", "旅游", "餐饮", "建筑", "农业技术", "渔业", "林业", "蔬菜种植", "花卉", "养蜂", "信鸽", "钓鱼",
		"收藏", "集邮", "诗词", "楹联", "作家", "戏剧", "曲艺", "民间文艺", "老年大学", "社区服务", "慈善", "助学", "扶贫"}
	forms := []string{"协会", "促进会", "研究会", "联合会", "商会", "学会", "基金会", "服务中心", "俱乐部", "发展中心"}
	r := rand.New(rand.NewPCG(1, 2))
	out := make([]string, n)
	for i := range out {
		out[i] = divisions[r.IntN(len(divisions))] + fields[r.IntN(len(fields))] + forms[r.IntN(len(forms))]
	}
	return out
}

// On PostgreSQL a two-character search reads the name index, not the table: with tens of thousands
// of organisations (and statistics), the plan of "围棋" (a field none of them has) uses the index's
// key and never scans organisations or org_name_bigrams sequentially.
func TestSearchUsesTheNameIndex(t *testing.T) {
	s := stacktest.PostgresOnly(t) // the plan is PostgreSQL's
	ctx := context.Background()
	seed(t, s.DB)
	insertBare(t, s, syntheticNames(20000))
	if err := nameindex.Organisations.Rebuild(ctx, s.DB); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.ExecContext(ctx, "ANALYZE organisations; ANALYZE org_name_bigrams"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []register.Query{{Q: "围棋"}, {Q: "养蜂"}, {Q: "营口市信鸽"}, {Q: "营口 信鸽"}} {
		query, err := register.SearchSQL(ctx, s.DB, q)
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		if err := s.DB.NewRaw("EXPLAIN "+query).Scan(ctx, &lines); err != nil {
			t.Fatal(err)
		}
		plan := strings.Join(lines, "\n")
		if !strings.Contains(plan, "org_name_bigrams_pkey") || strings.Contains(plan, "Seq Scan") {
			t.Errorf("%s:\n%s", q.Q, plan)
		}
	}
}

// benchOrganisations is how many organisations a benchmark of the register makes:
// CIVICFLOW_BENCH_ORGANISATIONS, or def.
func benchOrganisations(def int) int {
	if n, _ := strconv.Atoi(os.Getenv("CIVICFLOW_BENCH_ORGANISATIONS")); n > 0 {
		return n
	}
	return def
}

// BenchmarkSearch measures searches on PostgreSQL over CIVICFLOW_BENCH_ORGANISATIONS synthetic
// organisations (default 20,000), each query on a page of 20 with its total; docs/benchmarks.md
// has a run.
func BenchmarkSearch(b *testing.B) {
	s := stacktest.PostgresOnly(b)
	n := benchOrganisations(20000)
	ctx := context.Background()
	seed(b, s.DB)
	start := time.Now()
	insertBare(b, s, syntheticNames(n))
	if err := nameindex.Organisations.Rebuild(ctx, s.DB); err != nil {
		b.Fatal(err)
	}
	for _, table := range []string{"organisations", "org_name_bigrams"} {
		if _, err := s.DB.ExecContext(ctx, "VACUUM ANALYZE "+table); err != nil { // as autovacuum would have
			b.Fatal(err)
		}
	}
	b.Logf("%d organisations inserted and indexed in %s", n, time.Since(start).Round(time.Millisecond))
	// The baseline: the same page and count found by reading the whole table, as without the index.
	for _, q := range []string{"围棋", "信鸽", "养老服务", "协会"} {
		b.Run("scan/"+q, func(b *testing.B) {
			pattern := "%" + q + "%"
			for b.Loop() {
				var page []register.Organisation
				if _, err := s.DB.NewSelect().Model(&page).Where("lower(name) LIKE ?", pattern).
					OrderExpr("CASE WHEN status = 'active' THEN 0 ELSE 1 END, name, id").Limit(20).ScanAndCount(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	for _, q := range []register.Query{{Q: "围棋"}, {Q: "信鸽"}, {Q: "养老服务"}, {Q: "营口市信鸽协会"}, {Q: "协会"}, {Q: "蜂"},
		{Q: "信鸽", Jurisdiction: "210000", Kind: register.KindSocialGroup}, {Jurisdiction: "210100"}} {
		b.Run(q.Q+"/"+q.Jurisdiction, func(b *testing.B) {
			var total int
			for b.Loop() {
				res, err := register.Search(ctx, s.DB, q)
				if err != nil {
					b.Fatal(err)
				}
				total = res.Total
			}
			b.ReportMetric(float64(total), "matches")
		})
	}
}
