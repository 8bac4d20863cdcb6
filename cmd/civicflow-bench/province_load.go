package main

import (
	"context"
	"fmt"
	mathrand "math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/register"
	"github.com/civicflow/civicflow/statistics/closed"
	"github.com/civicflow/civicflow/workflow"
)

// The province's loader writes straight into the server's database what years of work leave there:
// the province's cities and counties, the register's organisations with their name index, applicants,
// and cases with their first event and legal clock. It writes chunks of loadChunk rows (see load.go).

// provinceCities are Liaoning's cities (2101–2114); each gets countiesPerCity counties numbered
// 01–08 below it (made-up names: the queries read codes, not names).
var provinceCities = []string{"沈阳市", "大连市", "鞍山市", "抚顺市", "本溪市", "丹东市", "锦州市", "营口市", "阜新市",
	"辽阳市", "盘锦市", "铁岭市", "朝阳市", "葫芦岛市"}

const countiesPerCity = 8

// Names of the register are made as real ones are (division + field + form, 民政部令第69号).
var (
	orgFields = []string{"摄影", "书法", "美术", "音乐", "舞蹈", "足球", "篮球", "乒乓球", "游泳", "登山", "志愿者", "青年创新创业",
		"养老服务", "残疾人康复", "环境保护", "家庭教育", "心理咨询", "法律援助", "中医药", "食品安全", "物业管理", "电子商务",
		"软件", "物流", "旅游", "餐饮", "建筑", "农业技术", "渔业", "林业", "蔬菜种植", "花卉", "养蜂", "信鸽", "钓鱼",
		"收藏", "集邮", "诗词", "楹联", "作家", "戏剧", "曲艺", "民间文艺", "老年大学", "社区服务", "慈善", "助学", "扶贫"}
	orgForms  = []string{"协会", "促进会", "研究会", "联合会", "商会", "学会", "基金会", "服务中心", "俱乐部", "发展中心"}
	surnames  = []string{"王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "胡", "朱", "高", "林", "何", "郭", "马", "罗"}
	givenName = []string{"伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞"}
)

// loaded is what the loader wrote, for the scenario's reads and checks.
type loaded struct {
	city    string   // the bench's city
	numbers []string // case numbers of the bench's city, a sample to search by
	states  []string // states of open cases of the bench's city, to filter by
}

// chunked writes the rows next(i) makes for i in [0, n), loadChunk at a time.
func chunked(ctx context.Context, l loader, table string, cols []string, n int, next func(i int) [][]any) error {
	rows := make([][]any, 0, loadChunk)
	for i := 0; i < n; i++ {
		rows = append(rows, next(i)...)
		if len(rows) >= loadChunk || i == n-1 {
			if err := l.write(ctx, table, cols, rows); err != nil {
				return err
			}
			rows = rows[:0]
		}
	}
	return nil
}

// province generates and writes the rows; r draws every choice, so that a run repeats.
type province struct {
	db       *bun.DB
	l        loader
	r        *mathrand.Rand
	now      time.Time
	run      string
	cities   []string // codes
	counties []string
	items    []*catalog.Item
	orgs     []orgRef
	users    []int64
	out      loaded
}

type orgRef struct{ name, uscc string }

// loadProvince writes o.organisations organisations and o.cases cases into the database at
// o.databaseURL, then has PostgreSQL (or SQLite) analyse the tables as autovacuum would.
func loadProvince(ctx context.Context, o options, run string) (*loaded, error) {
	db, err := openBenchDB(ctx, o.databaseURL)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	p := &province{db: db, r: mathrand.New(mathrand.NewPCG(14, 1)), now: time.Now().UTC(), run: run, out: loaded{city: o.jurisdiction}}
	p.l = loaderFor(db)
	steps := []struct {
		what string
		fn   func(context.Context, options) error
	}{
		{"jurisdictions", p.loadJurisdictions},
		{"catalogue versions", p.loadItems},
		{"organisations and their name index", p.loadOrganisations},
		{"applicants", p.loadApplicants},
		{"cases, their first events and clocks", p.loadCases},
		{"the statistics of the closed cases", p.countClosed},
		{"statistics of the tables", p.analyse},
		{"the chains of the cases", p.checkChains},
	}
	for _, s := range steps {
		t := time.Now()
		if err := s.fn(ctx, o); err != nil {
			return nil, fmt.Errorf("loading %s: %w", s.what, err)
		}
		fmt.Printf("  %-40s %s\n", s.what, time.Since(t).Round(time.Millisecond))
	}
	return &p.out, nil
}

// chainCheckLimit is the largest load whose chains the scenario checks itself (in seconds); at a
// million cases `civicflow audit verify` does it in minutes.
const chainCheckLimit = 20000

// checkChains fails when a loaded case's chain is broken (a case row whose last_hash is not its
// event's, say), as `civicflow audit verify` would report it, for loads up to chainCheckLimit.
func (p *province) checkChains(ctx context.Context, o options) error {
	if o.cases > chainCheckLimit {
		return nil
	}
	r, err := workflow.CheckChains(ctx, p.db)
	if err != nil {
		return err
	}
	if len(r.Broken) > 0 {
		return fmt.Errorf("%d broken chains, the first: case %d: %s", len(r.Broken), r.Broken[0].CaseID, r.Broken[0].Reason)
	}
	return nil
}

func (p *province) loadJurisdictions(ctx context.Context, _ options) error {
	if err := jurisdictions.Add(ctx, p.db, "210000", "辽宁省", "Liaoning"); err != nil {
		return err
	}
	for i, name := range provinceCities {
		city := fmt.Sprintf("21%02d00", i+1)
		if err := jurisdictions.Add(ctx, p.db, city, name, name); err != nil {
			return err
		}
		p.cities = append(p.cities, city)
		for c := 1; c <= countiesPerCity; c++ {
			county := fmt.Sprintf("21%02d%02d", i+1, c)
			if err := jurisdictions.Add(ctx, p.db, county, fmt.Sprintf("%s第%d区", name, c), fmt.Sprintf("District %d", c)); err != nil {
				return err
			}
			p.counties = append(p.counties, county)
		}
	}
	return nil
}

// loadItems reads the newest stored version of every item: the server stored them at start.
func (p *province) loadItems(ctx context.Context, _ options) error {
	var hashes []string
	err := p.db.NewRaw(`SELECT v.hash FROM catalog_versions AS v WHERE v.loaded_at =
		(SELECT max(w.loaded_at) FROM catalog_versions AS w WHERE w.item_code = v.item_code) ORDER BY v.item_code`).Scan(ctx, &hashes)
	if err != nil {
		return err
	}
	for _, h := range hashes {
		it, err := catalog.Version(ctx, p.db, h)
		if err != nil {
			return err
		}
		if slices.ContainsFunc(it.Workflow.States, func(s catalog.State) bool { return s.Final }) {
			p.items = append(p.items, it)
		}
	}
	if len(p.items) == 0 {
		return fmt.Errorf("no catalogue version stored: start the server on this database once first")
	}
	return nil
}

// jurisdiction draws where a case or organisation belongs: a county four times in five, else a city.
func (p *province) jurisdiction() string {
	if p.r.IntN(5) == 0 {
		return p.cities[p.r.IntN(len(p.cities))]
	}
	return p.counties[p.r.IntN(len(p.counties))]
}

// nextID is the first free ID of table.
func (p *province) nextID(ctx context.Context, table string) (int64, error) {
	var id int64
	err := p.db.NewRaw("SELECT COALESCE(max(id), 0) + 1 FROM "+table).Scan(ctx, &id)
	return id, err
}

// kindDigit is the second character of a credit code: the kind of organisation.
var kindDigit = map[string]int{register.KindSocialGroup: 1, register.KindPrivateNonEnterprise: 2, register.KindFoundation: 3}

func (p *province) loadOrganisations(ctx context.Context, o options) error {
	first, err := p.nextID(ctx, "organisations")
	if err != nil {
		return err
	}
	grams := make([][]any, 0, loadChunk*12)
	cols := []string{"id", "uscc", "name", "kind", "jurisdiction", "domicile", "legal_representative", "status", "registered_at"}
	err = chunked(ctx, p.l, "organisations", cols, o.organisations, func(i int) [][]any {
		id := first + int64(i)
		j := p.jurisdiction()
		city := provinceCities[int(j[2]-'0')*10+int(j[3]-'0')-1]
		name := city + orgFields[p.r.IntN(len(orgFields))] + orgForms[p.r.IntN(len(orgForms))] + fmt.Sprint(id)
		kind := register.Kinds[p.r.IntN(len(register.Kinds))]
		status := register.StatusActive
		if n := p.r.IntN(10); n == 0 {
			status = register.StatusDeregistered
		} else if n == 1 {
			status = register.StatusRevoked
		}
		// 5 for civil affairs, the kind, the division, a nine-character code (Y and the ID) and a
		// check character the search does not read.
		uscc := fmt.Sprintf("5%d%sY%08d0", kindDigit[kind], j, id)
		p.orgs = append(p.orgs, orgRef{name: name, uscc: uscc})
		for _, g := range nameindex.Grams(name) {
			grams = append(grams, []any{g, id})
		}
		registered := p.now.AddDate(-p.r.IntN(20), 0, -p.r.IntN(365))
		return [][]any{{id, uscc, name, kind, j, city + "测试路1号", surnames[p.r.IntN(len(surnames))] + givenName[p.r.IntN(len(givenName))], status, registered}}
	})
	if err != nil {
		return err
	}
	for len(grams) > 0 {
		n := min(len(grams), 10*loadChunk)
		if err := p.l.write(ctx, "org_name_bigrams", []string{"bigram", "organisation_id"}, grams[:n]); err != nil {
			return err
		}
		grams = grams[n:]
	}
	return p.resetIdentity(ctx, "organisations")
}

// resetIdentity moves PostgreSQL's identity of table past the IDs the loader chose (SQLite's
// AUTOINCREMENT follows by itself).
func (p *province) resetIdentity(ctx context.Context, table string) error {
	if !database.IsPostgres(p.db) {
		return nil
	}
	_, err := p.db.ExecContext(ctx, "SELECT setval(pg_get_serial_sequence('"+table+"', 'id'), (SELECT max(id) FROM "+table+"))")
	return err
}

// loadApplicants writes one applicant for every twenty cases, with their name index; they cannot log
// in.
func (p *province) loadApplicants(ctx context.Context, o options) error {
	first, err := p.nextID(ctx, "users")
	if err != nil {
		return err
	}
	n := max(o.cases/20, 1)
	cols := []string{"id", "login", "display_name", "password_hash", "created_at", "updated_at"}
	var grams [][]any
	err = chunked(ctx, p.l, "users", cols, n, func(i int) [][]any {
		id := first + int64(i)
		p.users = append(p.users, id)
		name := surnames[p.r.IntN(len(surnames))] + givenName[p.r.IntN(len(givenName))]
		for _, g := range nameindex.Grams(name) { // accounts' nameindex.Users
			grams = append(grams, []any{g, id})
		}
		return [][]any{{id, fmt.Sprintf("bench-%s-a%d", p.run, i), name, "!", p.now, p.now}}
	})
	if err != nil {
		return err
	}
	for len(grams) > 0 {
		n := min(len(grams), 10*loadChunk)
		if err := p.l.write(ctx, "user_name_grams", []string{"bigram", "user_id"}, grams[:n]); err != nil {
			return err
		}
		grams = grams[n:]
	}
	return p.resetIdentity(ctx, "users")
}

var (
	caseCols  = []string{"id", "number", "item_code", "version_hash", "jurisdiction", "applicant_id", "state", "version", "data", "fields", "outcome", "created_at", "updated_at", "state_entered_at", "closed_at", "org_name", "credit_code", "last_hash"}
	eventCols = []string{"case_id", "seq", "at", "actor", "action", "from_state", "to_state", "comment", "prev_hash", "hash"}
	clockCols = []string{"case_id", "clock", "status", "started_on", "statutory_due", "stopped_on"}
	gramCols  = []string{"bigram", "jurisdiction", "case_id"}
)

// caseJurisdiction and caseOrgName are where the jurisdiction and the organisation's name are in a row
// of caseCols.
const caseJurisdiction, caseOrgName = 4, 15

// loadCases writes the cases: one in twenty open (received in the last 120 days, in a state staff
// acts in), the rest closed in one of their item's final states over the last five years. Each has
// the one event that leads to its state, so that `civicflow audit verify` holds, and the item's first
// clock, running or stopped (late one time in ten).
func (p *province) loadCases(ctx context.Context, o options) error {
	first, err := p.nextID(ctx, "cases")
	if err != nil {
		return err
	}
	for from := 0; from < o.cases; from += loadChunk {
		var cases, events, clocks, grams [][]any
		for i := from; i < min(from+loadChunk, o.cases); i++ {
			id := first + int64(i)
			row, ev, clock := p.newCase(id, i < cityFirst)
			if err := ev.Seal(""); err != nil {
				return err
			}
			cases = append(cases, append(row, ev.Hash))                    // last_hash: the head of the case's chain
			for _, g := range nameindex.Grams(row[caseOrgName].(string)) { // the engine's nameindex.Cases
				grams = append(grams, []any{g, row[caseJurisdiction], id})
			}
			events = append(events, []any{ev.CaseID, ev.Seq, ev.At, ev.Actor, ev.Action, ev.From, ev.To, ev.Comment, ev.PrevHash, ev.Hash})
			if clock != nil {
				clocks = append(clocks, clock)
			}
		}
		for _, t := range []struct {
			table string
			cols  []string
			rows  [][]any
		}{{"cases", caseCols, cases}, {"case_events", eventCols, events}, {"case_clocks", clockCols, clocks}, {"case_name_grams", gramCols, grams}} {
			if len(t.rows) == 0 {
				continue
			}
			if err := p.l.write(ctx, t.table, t.cols, t.rows); err != nil {
				return err
			}
		}
	}
	return p.resetIdentity(ctx, "cases")
}

// cityFirst is how many of the first cases are open ones of the bench's city, so that even a small
// load gives the city's staff something to find.
const cityFirst = 50

// newCase draws case id, an open one of the bench's city when inCity: its row, its first event (to
// be sealed) and its clock's row, nil when its item has no clock.
func (p *province) newCase(id int64, inCity bool) ([]any, *workflow.Event, []any) {
	it := p.items[p.r.IntN(len(p.items))]
	j := p.jurisdiction()
	if inCity {
		j = p.out.city
	}
	var open, final []catalog.State
	for _, s := range it.Workflow.States {
		switch {
		case s.Final:
			final = append(final, s)
		case staffActsIn(it, s.ID):
			open = append(open, s)
		}
	}
	var st catalog.State
	var created, entered time.Time
	var closed *time.Time
	if (inCity || p.r.IntN(20) == 0) && len(open) > 0 {
		st = open[p.r.IntN(len(open))]
		created = p.now.Add(-time.Duration(p.r.IntN(120*24*60)) * time.Minute)
		entered = created.Add(time.Duration(p.r.Float64() * float64(p.now.Sub(created))))
	} else {
		st = final[p.r.IntN(len(final))]
		created = p.now.Add(-time.Duration(p.r.IntN(5*365*24*60)) * time.Minute)
		entered = created.Add(time.Duration(p.r.IntN(90*24*60)) * time.Minute)
		if entered.After(p.now) {
			entered = p.now
		}
		closed = &entered
	}
	orgName, code := "", ""
	if slices.Contains(it.Audience, catalog.AudienceOrganisations) && len(p.orgs) > 0 {
		org := p.orgs[p.r.IntN(len(p.orgs))]
		orgName = org.name
		if closed != nil { // an open case's code would compete for its organisation's one open case
			code = org.uscc
		}
	}
	number := fmt.Sprintf("%s-%d-%08d", j, created.In(calendar.Zone).Year(), id)
	if strings.HasPrefix(j, strings.TrimSuffix(p.out.city, "00")) {
		if len(p.out.numbers) < 1000 {
			p.out.numbers = append(p.out.numbers, number)
		}
		if closed == nil && !slices.Contains(p.out.states, st.ID) {
			p.out.states = append(p.out.states, st.ID)
		}
	}
	row := []any{id, number, it.Code, it.Hash, j, p.users[p.r.IntN(len(p.users))], st.ID, 1, "{}", "{}", st.Outcome,
		created, entered, entered, closed, orgName, code}
	ev := &workflow.Event{CaseID: id, Seq: 1, At: entered, Actor: "civicflow-bench", Action: "load", To: st.ID,
		Comment: "loaded by civicflow-bench -scenario province"}
	return row, ev, p.clock(it, id, created, closed)
}

// clock is the row of the item's first clock on a case received at created and closed at closed
// (nil while open): a statutory limit of 60 days, kept nine times in ten.
func (p *province) clock(it *catalog.Item, id int64, created time.Time, closed *time.Time) []any {
	if len(it.Workflow.Clocks) == 0 {
		return nil
	}
	day := func(t time.Time) string { return t.In(calendar.Zone).Format(time.DateOnly) }
	due := created.AddDate(0, 0, 60)
	if closed == nil {
		return []any{id, it.Workflow.Clocks[0].ID, workflow.ClockRunning, day(created), day(due), ""}
	}
	stopped := *closed
	if p.r.IntN(10) == 0 {
		stopped = due.AddDate(0, 0, 1+p.r.IntN(30))
	} else if stopped.After(due) {
		stopped = due
	}
	return []any{id, it.Workflow.Clocks[0].ID, workflow.ClockStopped, day(created), day(due), day(stopped)}
}

// caseRoles are the roles of the staff who handle the cases, which the scenario's staff user holds.
var caseRoles = []string{"acceptor", "reviewer", "approver"}

// staffActsIn reports whether one of caseRoles takes an action of item from state.
func staffActsIn(item *catalog.Item, state string) bool {
	for _, a := range item.Workflow.Actions {
		if slices.Contains(a.From, state) && slices.ContainsFunc(a.By, func(r string) bool { return slices.Contains(caseRoles, r) }) {
			return true
		}
	}
	return false
}

// countClosed counts the closed cases into statistics_closed again, as the engine does when it closes
// a case, so that the statistics read what they read after years of work.
func (p *province) countClosed(ctx context.Context, _ options) error {
	return closed.Rebuild(ctx, p.db)
}

// analyse gives the planner the tables' statistics (and PostgreSQL's visibility map) as autovacuum
// would after a load of this size.
func (p *province) analyse(ctx context.Context, _ options) error {
	stmts := []string{"ANALYZE"}
	if database.IsPostgres(p.db) {
		stmts = []string{"VACUUM ANALYZE cases", "VACUUM ANALYZE case_events", "VACUUM ANALYZE case_clocks", "VACUUM ANALYZE case_name_grams", "VACUUM ANALYZE statistics_closed",
			"VACUUM ANALYZE organisations", "VACUUM ANALYZE org_name_bigrams", "VACUUM ANALYZE users", "VACUUM ANALYZE user_name_grams"}
	}
	for _, s := range stmts {
		if _, err := p.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("%s: %w", s, err)
		}
	}
	return nil
}
