package notices_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/policies"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/stacktest"
)

// world is a stack with Shenyang and Dalian, and staff in them.
type world struct {
	enf                                      *policies.Enforcer
	writer, publisher, publisher2, dalianPub audit.Actor
	writerPub                                audit.Actor // holds both roles: writes, and may not pass its own text
}

func newWorld(t *testing.T, s *stacktest.Stack) *world {
	t.Helper()
	ctx := context.Background()
	for _, j := range [][3]string{{"210000", "辽宁省", "Liaoning"}, {"210100", "沈阳市", "Shenyang"}, {"210200", "大连市", "Dalian"}} {
		if err := jurisdictions.Add(ctx, s.DB, j[0], j[1], j[2]); err != nil {
			t.Fatal(err)
		}
	}
	user := func(login string, grants ...string) audit.Actor {
		u, err := accounts.Create(ctx, s.DB, audit.System, accounts.NewUser{Login: login, Password: login + "-password"})
		if err != nil {
			t.Fatal(err)
		}
		for _, g := range grants {
			role, pattern, _ := strings.Cut(g, "@")
			if err := policies.GrantSystem(ctx, s.DB, u.ID, role, pattern); err != nil {
				t.Fatal(err)
			}
		}
		return audit.Actor{UserID: u.ID, Label: login}
	}
	w := &world{
		writer:     user("writer", "reviewer@210100"),
		publisher:  user("publisher", "publisher@210100"),
		publisher2: user("publisher2", "publisher@2101*"),
		dalianPub:  user("dalian-publisher", "publisher@210200"),
		writerPub:  user("writer-publisher", "approver@210100", "publisher@210100"),
	}
	enf, err := policies.New(ctx, s.DB)
	if err != nil {
		t.Fatal(err)
	}
	w.enf = enf
	return w
}

// told lists the users who got an in-app message of the template, in order, and forgets them.
func told(t *testing.T, s *stacktest.Stack, template string) []int64 {
	t.Helper()
	var ids []int64
	ctx := context.Background()
	if err := s.DB.NewSelect().Table("outbox").Column("user_id").Where("template = ? AND channel = 'inbox'", template).Order("id").Scan(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB.NewDelete().Table("outbox").Where("template = ?", template).Exec(ctx); err != nil {
		t.Fatal(err)
	}
	return ids
}

func wantProblem(t *testing.T, what string, err error, kind problem.Kind, code string) {
	t.Helper()
	p, ok := problem.As(err)
	if !ok || p.Kind != kind || (code != "" && p.Code != code) {
		t.Fatalf("%s: got %v, want a problem of kind %d %s", what, err, kind, code)
	}
}

// The life cycle of a staff notice and who may take each step: a draft only staff of its
// jurisdiction see; the 保密审查 by a publisher of the jurisdiction who did not write it; publication;
// a correction as a new version that keeps the old; withdrawal with a reason, after which the notice
// is still public and says so.
func TestLifecycle(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		w := newWorld(t, s)
		db, enf := s.DB, w.enf

		_, err := notices.Create(ctx, db, enf, w.writer, notices.Draft{Category: "x", Jurisdiction: "999999", Title: " ", Body: "a\x00b"})
		p, _ := problem.As(err)
		if p == nil || p.Kind != problem.Invalid || len(p.Fields) != 4 {
			t.Fatalf("invalid draft: %v", err)
		}
		if _, err := notices.Create(ctx, db, enf, w.writer, notices.Draft{Category: notices.CategoryGeneral, Jurisdiction: "210200",
			Title: "大连", Body: "正文"}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a Shenyang writer wrote in Dalian: %v", err)
		}
		if _, err := notices.Create(ctx, db, enf, w.publisher, notices.Draft{Category: notices.CategoryGeneral, Jurisdiction: "210100",
			Title: "t", Body: "b"}); !problem.Is(err, problem.Forbidden) {
			t.Fatalf("a publisher wrote a notice: %v", err)
		}
		n, err := notices.Create(ctx, db, enf, w.writer, notices.Draft{Category: notices.CategoryGeneral, Jurisdiction: "210100",
			Title: "关于春节期间暂停窗口办理的通知", Body: "2月14日至2月22日暂停窗口办理。"})
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := notices.Visible(ctx, db, enf, 0, n.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("the public saw a draft: %v", err)
		}
		if _, _, err := notices.Visible(ctx, db, enf, w.dalianPub.UserID, n.ID); !problem.Is(err, problem.NotFound) {
			t.Fatalf("Dalian saw a Shenyang draft: %v", err)
		}
		if page, _ := notices.List(ctx, db, notices.Query{}); page.Total != 0 {
			t.Fatalf("a draft is listed: %+v", page)
		}
		// Nothing to review before it is submitted; then only a publisher of Shenyang, not its author.
		_, err = notices.Approve(ctx, db, enf, w.publisher, n.ID, "")
		wantProblem(t, "approving a draft", err, problem.Conflict, "not_in_review")
		if _, err := notices.Edit(ctx, db, enf, w.writer, n.ID, notices.Draft{Title: "关于春节期间暂停窗口办理的通知",
			Body: "2月14日至2月23日暂停窗口办理。"}); err != nil {
			t.Fatal(err)
		}
		_, err = notices.Edit(ctx, db, enf, w.writer, n.ID, notices.Draft{Title: "t", Body: "b", Attachments: []int64{987654321}})
		if p, ok := problem.As(err); !ok || p.Kind != problem.Invalid || p.Fields[0].Path != "attachments" {
			t.Fatalf("attaching an upload that does not exist: %v", err)
		}
		if _, err := notices.Submit(ctx, db, enf, w.writer, n.ID); err != nil {
			t.Fatal(err)
		}
		_, err = notices.Edit(ctx, db, enf, w.writer, n.ID, notices.Draft{Title: "x", Body: "y"})
		wantProblem(t, "editing a text in review", err, problem.Conflict, "not_draft")
		if got := told(t, s, "notice_review_requested"); !slices.Equal(got, []int64{w.publisher.UserID, w.publisher2.UserID, w.writerPub.UserID}) {
			t.Errorf("told of the review (Shenyang's publishers, not Dalian's): %v", got)
		}
		_, err = notices.Approve(ctx, db, enf, w.dalianPub, n.ID, "")
		wantProblem(t, "Dalian's publisher approving", err, problem.NotFound, "")
		_, err = notices.Approve(ctx, db, enf, w.writer, n.ID, "")
		wantProblem(t, "the writer approving", err, problem.Forbidden, "")
		_, err = notices.Return(ctx, db, enf, w.publisher, n.ID, "")
		wantProblem(t, "returning without a comment", err, problem.Invalid, "")
		if _, err := notices.Return(ctx, db, enf, w.publisher, n.ID, "日期有误"); err != nil {
			t.Fatal(err)
		}
		if _, err := notices.Submit(ctx, db, enf, w.writer, n.ID); err != nil {
			t.Fatal(err)
		}
		told(t, s, "notice_review_requested")
		if n, err = notices.Approve(ctx, db, enf, w.publisher2, n.ID, "同意发布"); err != nil {
			t.Fatal(err)
		}
		if n.Status != notices.StatusPublished || n.Version != 1 || n.PublishedAt == nil {
			t.Fatalf("after approval: %+v", n)
		}
		got, vs, err := notices.Visible(ctx, db, enf, 0, n.ID)
		if err != nil || got.Title != "关于春节期间暂停窗口办理的通知" || len(vs) != 1 || !strings.Contains(vs[0].Body, "2月23日") {
			t.Fatalf("the public reads %+v %+v %v", got, vs, err)
		}

		// A correction: a new version that says what changed, reviewed again; the first stays.
		_, err = notices.Revise(ctx, db, enf, w.writer, n.ID, notices.Draft{Title: "关于春节期间暂停窗口办理的通知", Body: "2月14日至2月24日暂停。"})
		wantProblem(t, "a correction that does not say what changed", err, problem.Invalid, "")
		if _, err := notices.Revise(ctx, db, enf, w.writerPub, n.ID, notices.Draft{Title: "关于春节期间暂停窗口办理的通知（更正）",
			Body: "2月14日至2月24日暂停窗口办理。", Change: "结束日期由2月23日更正为2月24日"}); err != nil {
			t.Fatal(err)
		}
		_, err = notices.Revise(ctx, db, enf, w.writer, n.ID, notices.Draft{Title: "t", Body: "b", Change: "c"})
		wantProblem(t, "a second correction at once", err, problem.Conflict, "version_pending")
		if _, err := notices.Submit(ctx, db, enf, w.writerPub, n.ID); err != nil {
			t.Fatal(err)
		}
		_, err = notices.Approve(ctx, db, enf, w.writerPub, n.ID, "")
		wantProblem(t, "a publisher approving its own text", err, problem.Forbidden, "own_text")
		// Its publishers are told, once each, not the author; the author is told of the outcome.
		if got := told(t, s, "notice_review_requested"); !slices.Equal(got, []int64{w.publisher.UserID, w.publisher2.UserID}) {
			t.Errorf("told of the correction's review: %v", got)
		}
		if _, vs, _ := notices.Visible(ctx, db, enf, 0, n.ID); len(vs) != 1 {
			t.Fatalf("the public sees a version in review: %+v", vs)
		}
		if _, err := notices.Approve(ctx, db, enf, w.publisher, n.ID, ""); err != nil {
			t.Fatal(err)
		}
		if got := told(t, s, "notice_published"); !slices.Equal(got, []int64{w.writer.UserID, w.writerPub.UserID}) {
			t.Errorf("told of the publications: %v", got)
		}
		if got := told(t, s, "notice_returned"); !slices.Equal(got, []int64{w.writer.UserID}) {
			t.Errorf("told of the return: %v", got)
		}
		got, vs, _ = notices.Visible(ctx, db, enf, 0, n.ID)
		if got.Version != 2 || got.Title != "关于春节期间暂停窗口办理的通知（更正）" || len(vs) != 2 || !strings.Contains(vs[0].Body, "2月23日") ||
			vs[1].Change != "结束日期由2月23日更正为2月24日" {
			t.Fatalf("after the correction: %+v %+v", got, vs)
		}

		// Withdrawal: a reason, a publisher of the jurisdiction; the notice stays public.
		_, err = notices.Withdraw(ctx, db, enf, w.publisher, n.ID, " ")
		wantProblem(t, "withdrawing without a reason", err, problem.Invalid, "")
		_, err = notices.Withdraw(ctx, db, enf, w.writer, n.ID, "x")
		wantProblem(t, "the writer withdrawing", err, problem.Forbidden, "")
		if _, err := notices.Withdraw(ctx, db, enf, w.publisher, n.ID, "春节安排已调整"); err != nil {
			t.Fatal(err)
		}
		got, vs, err = notices.Visible(ctx, db, enf, 0, n.ID)
		if err != nil || got.Status != notices.StatusWithdrawn || got.WithdrawnReason != "春节安排已调整" || len(vs) != 2 {
			t.Fatalf("the withdrawn notice: %+v %v", got, err)
		}
		page, err := notices.List(ctx, db, notices.Query{Category: notices.CategoryGeneral})
		if err != nil || page.Total != 1 || page.Notices[0].Status != notices.StatusWithdrawn {
			t.Fatalf("the list: %+v %v", page, err)
		}
		if latest, _ := notices.Latest(ctx, db, 5); len(latest) != 0 {
			t.Fatalf("Latest shows a withdrawn notice: %+v", latest)
		}
		_, err = notices.Withdraw(ctx, db, enf, w.publisher, n.ID, "again")
		wantProblem(t, "withdrawing twice", err, problem.Conflict, "not_published")
	})
}

// The public list: newest first, by category, by words of the title, pages; invalid filters are
// reported on their fields.
func TestListAndSearch(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		ctx := context.Background()
		w := newWorld(t, s)
		for _, title := range []string{"围棋协会换届公告", "养老服务通知", "围棋比赛100%通知", "AI养老"} {
			n, err := notices.Create(ctx, s.DB, w.enf, w.writer, notices.Draft{Category: notices.CategoryGeneral, Jurisdiction: "210100", Title: title, Body: "正文"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := notices.Submit(ctx, s.DB, w.enf, w.writer, n.ID); err != nil {
				t.Fatal(err)
			}
			if _, err := notices.Approve(ctx, s.DB, w.enf, w.publisher, n.ID, ""); err != nil {
				t.Fatal(err)
			}
		}
		if found, _ := notices.Search(ctx, s.DB, "ai", 10); len(found) != 1 || found[0].Title != "AI养老" {
			t.Fatalf("ai: %+v", found)
		}
		latest, err := notices.Latest(ctx, s.DB, 3)
		if err != nil || len(latest) != 3 || latest[1].Title != "围棋比赛100%通知" || latest[2].Title != "养老服务通知" {
			t.Fatalf("latest: %+v %v", latest, err)
		}
		found, err := notices.Search(ctx, s.DB, "围棋 通知", 10)
		if err != nil || len(found) != 1 || found[0].Title != "围棋比赛100%通知" {
			t.Fatalf("围棋 通知: %+v %v", found, err)
		}
		if found, _ := notices.Search(ctx, s.DB, "0%", 10); len(found) != 1 {
			t.Fatalf("a literal %%: %+v", found)
		}
		page, err := notices.List(ctx, s.DB, notices.Query{PerPage: 2, Page: 2})
		if err != nil || page.Total != 4 || len(page.Notices) != 2 || page.Pages() != 2 || page.Notices[1].Title != "围棋协会换届公告" {
			t.Fatalf("page 2: %+v %v", page, err)
		}
		if page, _ := notices.List(ctx, s.DB, notices.Query{Category: notices.CategoryLicensing}); page.Total != 0 {
			t.Fatalf("licensing: %+v", page)
		}
		_, err = notices.List(ctx, s.DB, notices.Query{Category: "x", Page: -1, PerPage: 101, Q: strings.Repeat("字", 51)})
		if p, ok := problem.As(err); !ok || len(p.Fields) != 4 {
			t.Fatalf("invalid filters: %v", err)
		}
	})
}

func TestMaskID(t *testing.T) {
	for in, want := range map[string]string{
		"11010519491231002X": "110105********002X",
		"110105491231002":    "110105******002",
		"abc":                "**c",
	} {
		if got := notices.MaskID(in); got != want {
			t.Errorf("MaskID(%q) = %q, want %q", in, got, want)
		}
	}
}
