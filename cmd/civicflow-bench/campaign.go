package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/nameindex"
	"github.com/civicflow/civicflow/notify"
	"github.com/civicflow/civicflow/register"
)

// runCampaign loads o.organisations active organisations of o.jurisdiction, each with one bound
// applicant who has an e-mail address, straight into the database (untimed), then opens the
// annual-report campaign of the jurisdiction through the API as the admin and times it. The campaign
// covers the jurisdiction's other organisations too (earlier runs' included): measure on a fresh
// database, or one jurisdiction per run, for figures of exactly o.organisations. It then waits
// until every outbox row the campaign wrote is delivered, timing that too, and checks that each of
// its organisations got its report and each applicant exactly one inbox message.
func runCampaign(ctx context.Context, o options) error {
	db, err := openBenchDB(ctx, o.databaseURL)
	if err != nil {
		return err
	}
	defer db.Close()
	tag := runTag()
	fmt.Printf("loading %d organisations (%s) and their applicants…\n", o.organisations, tag)
	start := time.Now()
	if err := loadBoundOrganisations(ctx, db, o, tag); err != nil {
		return err
	}
	fmt.Printf("loaded in %s\n", time.Since(start).Round(time.Millisecond))

	year, err := freeCampaignYear(ctx, db, o.jurisdiction)
	if err != nil {
		return err
	}
	var before int64
	if err := db.NewRaw("SELECT coalesce(max(id), 0) FROM outbox").Scan(ctx, &before); err != nil {
		return fmt.Errorf("reading the outbox: %w", err)
	}
	b, err := setUp(ctx, o)
	if err != nil {
		return err
	}
	var c annualreport.Campaign
	start = time.Now()
	if err := b.call(ctx, "POST", "/api/v1/campaigns", b.admin, annualreport.Opening{Year: year, Jurisdiction: o.jurisdiction}, &c, http.StatusCreated); err != nil {
		return err
	}
	opened := time.Since(start)
	fmt.Printf("campaign %d of %s opened for %d organisations (%d loaded by this run) in %s (target < 60 s)\n",
		year, o.jurisdiction, c.Reports, o.organisations, opened.Round(time.Millisecond))

	// The campaign's outbox rows: those written after before by annual_report_due.
	rows := db.NewSelect().TableExpr("outbox AS x").Where("x.id > ? AND x.template = 'annual_report_due'", before)
	mine := db.NewSelect().TableExpr("users").Column("id").Where("login LIKE ?", "bench-"+tag+"-%")
	if err := expect(ctx, "the campaign's reports of the loaded organisations", o.organisations,
		db.NewSelect().TableExpr("annual_reports AS r").Join("JOIN organisations AS o ON o.id = r.organisation_id").
			Where("r.campaign_id = ? AND substr(o.uscc, 9, 4) = ?", c.ID, tag)); err != nil {
		return err
	}
	if err := expect(ctx, "outbox rows to the loaded applicants (inbox and e-mail)", 2*o.organisations,
		rows.Clone().Where("x.user_id IN (?)", mine)); err != nil {
		return err
	}
	total, err := rows.Clone().Count(ctx)
	if err != nil {
		return err
	}
	fmt.Printf("waiting for the %d notifications to be delivered…\n", total)
	for {
		var left struct{ Pending, Failed int }
		if err := rows.Clone().ColumnExpr("count(*) AS pending, count(CASE WHEN x.status = ? THEN 1 END) AS failed", notify.StatusFailed).
			Where("x.status <> ?", notify.StatusDelivered).Scan(ctx, &left); err != nil {
			return fmt.Errorf("counting undelivered notifications: %w", err)
		}
		if left.Failed > 0 {
			return fmt.Errorf("%d of the campaign's notifications failed", left.Failed)
		}
		if left.Pending == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d of %d notifications still undelivered: %w", left.Pending, total, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	delivered := time.Since(start) - opened
	fmt.Printf("%d notifications delivered in %s after the campaign opened = %.0f/s (target ≥ 1,000/s)\n",
		total, delivered.Round(time.Millisecond), float64(total)/delivered.Seconds())

	// Exactly once: one message per inbox row of the campaign, and one for each loaded applicant.
	inboxRows, err := rows.Clone().Where("x.channel = ?", notify.Inbox).Count(ctx)
	if err != nil {
		return fmt.Errorf("counting the campaign's inbox rows: %w", err)
	}
	messages := db.NewSelect().TableExpr("messages AS m").Join("JOIN outbox AS x ON x.id = m.outbox_id").
		Where("x.id > ? AND x.template = 'annual_report_due'", before)
	if err := expect(ctx, "inbox messages of the campaign", int(inboxRows), messages.Clone()); err != nil {
		return err
	}
	var got struct{ Messages, Users int }
	if err := messages.ColumnExpr("count(*) AS messages, count(DISTINCT m.user_id) AS users").Where("m.user_id IN (?)", mine).Scan(ctx, &got); err != nil {
		return fmt.Errorf("counting the applicants' messages: %w", err)
	}
	if got.Messages != o.organisations || got.Users != o.organisations {
		return fmt.Errorf("the %d applicants got %d inbox messages between %d of them, want one each", o.organisations, got.Messages, got.Users)
	}
	fmt.Println("every applicant got exactly one inbox message")
	return nil
}

// expect fails unless q counts want rows.
func expect(ctx context.Context, what string, want int, q *bun.SelectQuery) error {
	n, err := q.Count(ctx)
	if err != nil {
		return fmt.Errorf("counting %s: %w", what, err)
	}
	if int(n) != want {
		return fmt.Errorf("%s: %d, want %d", what, n, want)
	}
	return nil
}

// freeCampaignYear is the latest year, this one or before, for which jurisdiction has no campaign.
func freeCampaignYear(ctx context.Context, db bun.IDB, jurisdiction string) (int, error) {
	var taken []int
	if err := db.NewSelect().TableExpr("annual_campaigns").Column("year").Where("jurisdiction = ?", jurisdiction).Scan(ctx, &taken); err != nil {
		return 0, fmt.Errorf("reading the campaigns of %s: %w", jurisdiction, err)
	}
	year := time.Now().Year()
	for slices.Contains(taken, year) {
		year--
	}
	return year, nil
}

// loadBoundOrganisations writes o.organisations active organisations of o.jurisdiction, registered in
// 2000, with credit codes of the run tag, their name index, and for each one applicant
// (bench-TAG-i, with an e-mail address, a password no one knows and its name index) actively bound
// to it.
func loadBoundOrganisations(ctx context.Context, db *bun.DB, o options, tag string) error {
	l := loaderFor(db)
	hash, err := accounts.HashPassword(randomHex(16))
	if err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Microsecond)
	registered := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	users, orgs := make([][]any, 0, loadChunk), make([][]any, 0, loadChunk)
	for i := range o.organisations {
		login := fmt.Sprintf("bench-%s-%06d", tag, i)
		users = append(users, []any{login, login + "@example.org", hash, now, now})
		kind := register.Kinds[i%len(register.Kinds)]
		orgs = append(orgs, []any{benchUSCC(tag, catalog.KindDigits[kind], o.jurisdiction, i), fmt.Sprintf("年报测试第%d协会", i+1),
			kind, o.jurisdiction, register.StatusActive, registered})
		if len(users) == loadChunk || i == o.organisations-1 {
			if err := l.write(ctx, "users", []string{"login", "email", "password_hash", "created_at", "updated_at"}, users); err != nil {
				return err
			}
			if err := l.write(ctx, "organisations", []string{"uscc", "name", "kind", "jurisdiction", "status", "registered_at"}, orgs); err != nil {
				return err
			}
			users, orgs = users[:0], orgs[:0]
		}
	}
	// The i-th organisation's code ends with i in base 31 (benchUSCC), its applicant's login with i.
	var loaded []struct {
		ID         int64
		USCC, Name string
	}
	if err := db.NewSelect().TableExpr("organisations").Column("id", "uscc", "name").Where("substr(uscc, 9, 4) = ?", tag).Scan(ctx, &loaded); err != nil {
		return fmt.Errorf("reading the loaded organisations: %w", err)
	}
	var applicants []struct {
		ID    int64
		Login string
	}
	if err := db.NewSelect().TableExpr("users").Column("id", "login").Where("login LIKE ?", "bench-"+tag+"-%").Scan(ctx, &applicants); err != nil {
		return fmt.Errorf("reading the loaded applicants: %w", err)
	}
	if len(loaded) != o.organisations || len(applicants) != o.organisations {
		return fmt.Errorf("loaded %d organisations and %d applicants, want %d", len(loaded), len(applicants), o.organisations)
	}
	userIDs := make([]int64, o.organisations)
	var grams [][]any // of the applicants' names, their logins: accounts' nameindex.Users
	for _, u := range applicants {
		var i int
		if _, err := fmt.Sscanf(strings.TrimPrefix(u.Login, "bench-"+tag+"-"), "%d", &i); err != nil || i >= len(userIDs) {
			return fmt.Errorf("an applicant of the run that was not loaded: %s", u.Login)
		}
		userIDs[i] = u.ID
		for _, g := range nameindex.Grams(u.Login) {
			grams = append(grams, []any{g, u.ID})
		}
	}
	if err := l.write(ctx, "user_name_grams", []string{"bigram", "user_id"}, grams); err != nil {
		return err
	}
	bindings := make([][]any, 0, len(loaded))
	named := make([]nameindex.Named, 0, 1000)
	for i, org := range loaded {
		bindings = append(bindings, []any{org.ID, userIDs[benchIndex(org.USCC)], register.HowRequest, register.BindingActive, now})
		named = append(named, nameindex.Named{ID: org.ID, Name: org.Name})
		if len(named) == cap(named) || i == len(loaded)-1 {
			if err := nameindex.Organisations.Add(ctx, db, named); err != nil {
				return err
			}
			named = named[:0]
		}
	}
	return l.write(ctx, "organisation_bindings", []string{"organisation_id", "user_id", "how", "status", "created_at"}, bindings)
}
