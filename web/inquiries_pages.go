package web

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/inquiries"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/ratings"
	"github.com/civicflow/civicflow/sequences"
)

// Consultations, complaints and suggestions (咨询 / 投诉 / 建议): the public's form, receipt and
// tracking, the asker's own list, the staff list with the statistics and the reply, the publisher's
// review and the public Q&A list. The rules are package inquiries'.

// inquiryOffice is the inquiries' office as the configuration sets it up; it holds no state.
func (s *Server) inquiryOffice() *inquiries.Office {
	item := func(code string) bool {
		if s.Catalog == nil {
			return false
		}
		_, ok := s.Catalog.Item(code)
		return ok
	}
	return inquiries.New(s.DB, s.Enforcer, inquiries.Options{Limits: s.Config.InquiryLimits, Item: item,
		PerIP: s.Config.InquiriesPerIP, PerAccount: s.Config.InquiriesPerAccount, Window: s.Config.LoginThrottleWindow,
		Lookups: accounts.GuessLimit{Max: s.Config.ProgressMaxFailuresPerIP, Window: s.Config.LoginThrottleWindow}})
}

// inquiryFields are the inputs of the form, in its order.
var inquiryFields = []string{"kind", "jurisdiction", "item", "case_number", "title", "body", "name", "contact", "publish"}

// newInquiryPage is the form: kind, jurisdiction and item may come filled in from the query.
func (s *Server) newInquiryPage(c *fiber.Ctx) error {
	return s.renderInquiryForm(c, fiber.StatusOK, nil)
}

// renderInquiryForm shows the form, with what was typed and formErr's problem after a refusal.
func (s *Server) renderInquiryForm(c *fiber.Ctx, status int, formErr error) error {
	v := s.view(c, "inq_new_title")
	for _, k := range []string{"kind", "jurisdiction", "item"} {
		v.Form[k] = strings.TrimSpace(c.Query(k))
	}
	var err error
	if status, err = v.refill(c, formErr, status, "/inquiries/new", inquiryFields...); err != nil {
		return err
	}
	if v.Form["kind"] == "" {
		v.Form["kind"] = inquiries.KindQuestion
	}
	for _, k := range inquiryFields {
		v.Labels[k] = v.T("inq_field_" + k)
	}
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	v.names = placesOf(all)
	o := s.inquiryOffice()
	limits := map[string]int{}
	for _, k := range inquiries.Kinds {
		limits[k] = o.Limit(k)
	}
	data := map[string]any{"Kinds": inquiries.Kinds, "Limits": limits, "Jurisdictions": all, "Once": newOnce()}
	if s.Catalog != nil {
		data["Items"] = s.Catalog.Items()
	}
	v.Data = data
	return s.renderStatus(c, status, "inquiry_new", v)
}

// inquirySecret is the secret of an asker without an account whose inquiry was filed under the
// idempotency key key of userID's request (a form's one-time token, an API client's
// Idempotency-Key): derived from the server's secret, the key and the inquiry's number, so that a
// second post of the form or a retry shows the same secret, which is stored only as a hash. The
// number, never given twice, keeps a key used again after it expired from giving a secret again.
func (s *Server) inquirySecret(userID int64, request, key string) func(q *inquiries.Inquiry) string {
	return func(q *inquiries.Inquiry) string {
		msg := "inquiry-secret:" + strconv.FormatInt(userID, 10) + "\x00" + request + "\x00" + key + "\x00" + q.Number
		return sequences.DerivedCode(s.Secret, msg, inquiries.SecretLength)
	}
}

// newInquiryPost submits the form and shows the receipt, with the secret once for an asker without
// an account. The form's one-time token is claimed first: a second post of the form (a double
// click, a reload) files nothing and shows the first post's receipt, with the same secret.
func (s *Server) newInquiryPost(c *fiber.Ctx) error {
	once, filed, err := s.claimOnce(c)
	if err != nil {
		return err
	}
	o := s.inquiryOffice()
	var r *inquiries.Receipt
	if filed != 0 {
		k, err := requestKey(c, nil)
		if err != nil {
			return err
		}
		if r, err = o.Receipt(c.UserContext(), actor(c), filed, s.inquirySecret(k.UserID, k.Request, k.Key)); err != nil {
			return err
		}
	} else {
		defer s.releaseOnce(c, once)
		sub := inquiries.Submission{Kind: c.FormValue("kind"), Jurisdiction: c.FormValue("jurisdiction"), Item: c.FormValue("item"),
			CaseNumber: c.FormValue("case_number"), Title: c.FormValue("title"), Body: c.FormValue("body"), Name: c.FormValue("name"),
			Contact: c.FormValue("contact"), Publish: c.FormValue("publish") != ""}
		var opts []inquiries.SubmitOption
		if once != nil {
			opts = append(opts, inquiries.WithSecret(s.inquirySecret(once.UserID, once.Request, once.Key)),
				inquiries.Within(func(ctx context.Context, tx bun.Tx, q *inquiries.Inquiry) error { return bindOnce(once)(ctx, tx, q.ID) }))
		}
		r, err = o.Submit(c.UserContext(), actor(c), sub, opts...)
		if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.TooManyRequests) {
			if p.Kind == problem.TooManyRequests {
				c.Set(fiber.HeaderRetryAfter, strconv.Itoa(int(s.Config.LoginThrottleWindow.Seconds())))
			}
			return s.renderInquiryForm(c, statusByKind[p.Kind], err)
		}
		if err != nil {
			return err
		}
	}
	v := s.view(c, "inq_receipt_title")
	v.Path = "/inquiries/new"
	if v.names, err = s.loadNames(c.UserContext(), []string{r.Inquiry.Jurisdiction}, nil); err != nil {
		return err
	}
	v.Data = r
	return s.render(c, "inquiry_receipt", v)
}

// trackInquiryPage is the lookup by tracking number and secret and, once sent, the inquiry with its
// reply and the rating form. The lookup is the form's: like the progress lookup, a secret is asked
// for only when the query has one.
func (s *Server) trackInquiryPage(c *fiber.Ctx) error {
	v := s.view(c, "inq_track_title")
	v.Labels = map[string]string{"number": v.T("inq_number"), "secret": v.T("inq_secret")}
	a := inquiries.Access{Number: c.Query("number"), Secret: c.Query("secret")}
	v.Form["number"], v.Form["secret"] = a.Number, a.Secret
	status := fiber.StatusOK
	if c.Context().QueryArgs().Has("secret") {
		q, err := s.inquiryOffice().ForAsker(c.UserContext(), actor(c), a)
		if status, err = v.showProblem(err, status); err != nil {
			return err
		}
		if q != nil {
			return s.renderAskerView(c, v, status, q, a, "")
		}
	}
	return s.renderStatus(c, status, "inquiry_track", v)
}

// renderAskerView shows the asker's inquiry: with access, how a rating form names it again.
func (s *Server) renderAskerView(c *fiber.Ctx, v *view, status int, q *inquiries.Inquiry, a inquiries.Access, notice string) error {
	var err error
	if v.names, err = s.loadNames(c.UserContext(), []string{q.Jurisdiction}, nil); err != nil {
		return err
	}
	if notice != "" {
		v.Notice = v.T(notice)
	}
	v.Title = q.Title
	v.Labels["level"], v.Labels["comment"] = v.T("inq_rating"), v.T("inq_rating_comment")
	asker := q.ForAsker()
	v.Data = map[string]any{"Inquiry": &asker, "Access": a, "Levels": ratings.Levels}
	return s.renderStatus(c, status, "inquiry_view", v)
}

// rateInquiryPost rates a reply from the form: by number and secret, or by number for its account.
func (s *Server) rateInquiryPost(c *fiber.Ctx) error {
	level, _ := strconv.Atoi(c.FormValue("level"))
	r := inquiries.Rating{Access: inquiries.Access{Number: c.FormValue("number"), Secret: c.FormValue("secret")},
		Level: level, Comment: c.FormValue("comment")}
	o := s.inquiryOffice()
	q, err := o.Rate(c.UserContext(), actor(c), r)
	v := s.view(c, "inq_track_title")
	v.Path = "/inquiries/track"
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
		q, lookErr := o.ForAsker(c.UserContext(), actor(c), r.Access)
		if lookErr != nil {
			status, err := v.showProblem(lookErr, fiber.StatusOK)
			if err != nil {
				return err
			}
			v.Form["number"] = r.Number
			return s.renderStatus(c, status, "inquiry_track", v)
		}
		v.Form["comment"], v.Form["level"] = c.FormValue("comment"), c.FormValue("level")
		status, _ := v.showProblem(err, fiber.StatusOK)
		return s.renderAskerView(c, v, status, q, r.Access, "")
	}
	if err != nil {
		return err
	}
	return s.renderAskerView(c, v, fiber.StatusOK, q, r.Access, "inq_done_rated")
}

// myInquiriesPage lists the caller's own inquiries.
func (s *Server) myInquiriesPage(c *fiber.Ctx) error {
	list, err := s.inquiryOffice().Mine(c.UserContext(), userID(c))
	if err != nil {
		return err
	}
	v := s.view(c, "inq_mine_title")
	codes := make([]string, 0, len(list))
	for _, q := range list {
		codes = append(codes, q.Jurisdiction)
	}
	if v.names, err = s.loadNames(c.UserContext(), codes, nil); err != nil {
		return err
	}
	v.Data = map[string]any{"Inquiries": list, "Today": calendar.DateOf(time.Now())}
	return s.render(c, "inquiry_mine", v)
}

// myInquiryPage shows one of the caller's own inquiries; anyone else's is not found.
func (s *Server) myInquiryPage(c *fiber.Ctx) error {
	q, err := s.ownInquiry(c)
	if err != nil {
		return err
	}
	return s.renderAskerView(c, s.view(c, "inq_mine_title"), fiber.StatusOK, q, inquiries.Access{Number: q.Number}, "")
}

// ownInquiry is the inquiry of the route's :id if the caller submitted it.
func (s *Server) ownInquiry(c *fiber.Ctx) (*inquiries.Inquiry, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return s.inquiryOffice().Own(c.UserContext(), userID(c), id)
}

// staffInquiriesPage lists the open inquiries of the caller's jurisdictions, the earliest due first
// with the overdue marked (?answered=1: the answered ones), and the year's statistics (?year=).
func (s *Server) staffInquiriesPage(c *fiber.Ctx) error {
	uid, ctx := userID(c), c.UserContext()
	answered := c.Query("answered") == "1"
	o := s.inquiryOffice()
	list, err := o.ForStaff(ctx, uid, answered)
	if err != nil {
		return err
	}
	v := s.view(c, "inq_staff_title")
	today := calendar.DateOf(time.Now())
	year := today.Year()
	if y := c.Query("year"); y != "" {
		year, _ = strconv.Atoi(y)
	}
	v.Form["year"] = strconv.Itoa(year)
	v.Labels["year"] = v.T("inq_year")
	counts, err := o.Statistics(ctx, uid, year, "")
	status, err := v.showProblem(err, fiber.StatusOK)
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(list)+len(counts))
	rows := make([]map[string]any, 0, len(list))
	for i := range list {
		q := &list[i]
		codes = append(codes, q.Jurisdiction)
		rows = append(rows, map[string]any{"Inquiry": q, "Overdue": q.Overdue(today)})
	}
	for _, n := range counts {
		codes = append(codes, n.Jurisdiction)
	}
	if v.names, err = s.loadNames(ctx, codes, nil); err != nil {
		return err
	}
	v.Data = map[string]any{"Rows": rows, "Answered": answered, "Counts": counts, "Year": year,
		"MayPublish": s.Enforcer.AllowedSomewhere(uid, "inquiry", "publish")}
	return s.renderStatus(c, status, "inquiry_staff", v)
}

// staffInquiryPage shows an inquiry of the caller's jurisdictions with the reply form.
func (s *Server) staffInquiryPage(c *fiber.Ctx) error {
	notice := ""
	if c.Query("done") == "replied" {
		notice = "inq_done_replied"
	}
	return s.renderStaffInquiry(c, fiber.StatusOK, notice, nil)
}

// renderStaffInquiry shows the staff's view of the inquiry, with formErr's problem on the reply.
func (s *Server) renderStaffInquiry(c *fiber.Ctx, status int, notice string, formErr error) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o := s.inquiryOffice()
	q, err := o.Get(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	v := s.view(c, "inq_staff_title")
	v.Title = q.Title
	if notice != "" {
		v.Notice = v.T(notice)
	}
	if status, err = v.refill(c, formErr, status, "/admin/inquiries/"+strconv.FormatInt(id, 10), "reply"); err != nil {
		return err
	}
	v.Labels["reply"] = v.T("inq_reply")
	if v.names, err = s.loadNames(c.UserContext(), []string{q.Jurisdiction}, []*int64{q.RepliedBy}); err != nil {
		return err
	}
	v.Data = map[string]any{"Inquiry": q, "Overdue": q.Overdue(calendar.DateOf(time.Now())),
		"MayReply": q.Status == inquiries.StatusOpen && o.MayReply(userID(c), q.Jurisdiction)}
	return s.renderStatus(c, status, "inquiry_staff_view", v)
}

// replyInquiryPost answers the inquiry from the form.
func (s *Server) replyInquiryPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	_, err = s.inquiryOffice().Reply(c.UserContext(), actor(c), id, c.FormValue("reply"))
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict || p.Kind == problem.Forbidden) {
		return s.renderStaffInquiry(c, statusByKind[p.Kind], "", err)
	}
	if err != nil {
		return err
	}
	return c.Redirect("/admin/inquiries/"+strconv.FormatInt(id, 10)+"?done=replied", fiber.StatusSeeOther)
}

// publicationPage is the publisher's list of replies to review for the Q&A list.
func (s *Server) publicationPage(c *fiber.Ctx) error {
	return s.renderPublication(c, fiber.StatusOK, c.Query("done"), 0, nil)
}

// renderPublication shows the publisher's list; after the decision on failed was refused with
// formErr, the reason typed shows again there.
func (s *Server) renderPublication(c *fiber.Ctx, status int, done string, failed int64, formErr error) error {
	list, err := s.inquiryOffice().ForPublisher(c.UserContext(), userID(c))
	if err != nil {
		return err
	}
	v := s.view(c, "inq_publication_title")
	if status, err = v.refill(c, formErr, status, "/admin/inquiries/publication", "reason"); err != nil {
		return err
	}
	v.Labels["reason"] = v.T("inq_decline_reason")
	codes := make([]string, 0, len(list))
	for _, q := range list {
		codes = append(codes, q.Jurisdiction)
	}
	if v.names, err = s.loadNames(c.UserContext(), codes, nil); err != nil {
		return err
	}
	if done == "published" || done == "declined" {
		v.Notice = v.T("inq_done_" + done)
	}
	v.Data = map[string]any{"Inquiries": list, "Failed": failed}
	return s.renderStatus(c, status, "inquiry_publication", v)
}

// publicationPost publishes or declines a reply from the form (decision=publish or decline).
func (s *Server) publicationPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	d := inquiries.Decision{Publish: c.FormValue("decision") == "publish", Reason: c.FormValue("reason")}
	_, err = s.inquiryOffice().Decide(c.UserContext(), actor(c), id, d)
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
		return s.renderPublication(c, statusByKind[p.Kind], "", id, err)
	}
	if err != nil {
		return err
	}
	done := "declined"
	if d.Publish {
		done = "published"
	}
	return c.Redirect("/admin/inquiries/publication?done="+done, fiber.StatusSeeOther)
}

// readQAQuery reads the search of the Q&A list from the query string.
func readQAQuery(c *fiber.Ctx) inquiries.Query {
	return inquiries.Query{Q: c.Query("q"), Kind: c.Query("kind"), Jurisdiction: c.Query("jurisdiction"),
		Page: queryNumber(c, "page"), PerPage: queryNumber(c, "per_page")}
}

// qaValues is the query string of the search q on page, for links.
func qaValues(q inquiries.Query, page int) string {
	v := url.Values{}
	for k, val := range map[string]string{"q": q.Q, "kind": q.Kind, "jurisdiction": q.Jurisdiction} {
		if s := strings.TrimSpace(val); s != "" {
			v.Set(k, s)
		}
	}
	if q.PerPage > 0 && q.PerPage != inquiries.DefaultPerPage {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v.Encode()
}

// qaPage is the public Q&A list: the published replies, searchable, page by page.
func (s *Server) qaPage(c *fiber.Ctx) error {
	q := readQAQuery(c)
	release, err := s.searches.enter(c.UserContext())
	if err != nil {
		return err
	}
	defer release()
	v := s.view(c, "inq_qa_title")
	for k, val := range map[string]string{"q": q.Q, "kind": q.Kind, "jurisdiction": q.Jurisdiction} {
		v.Form[k] = strings.TrimSpace(val)
	}
	v.Labels = map[string]string{"q": v.T("inq_qa_q"), "kind": v.T("inq_field_kind"), "jurisdiction": v.T("register_jurisdiction"),
		"page": v.T("register_page"), "per_page": v.T("register_per_page")}
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	v.names = placesOf(all)
	res, err := inquiries.Search(c.UserContext(), s.DB, q)
	status, err := v.showProblem(err, fiber.StatusOK)
	if err != nil {
		return err
	}
	data := map[string]any{"Kinds": inquiries.Kinds, "Jurisdictions": all, "Results": res}
	if res != nil {
		pager(data, res.Page, res.Pages(), func(page int) string { return "/qa?" + qaValues(q, page) })
	}
	v.Data = data
	return s.renderStatus(c, status, "inquiry_qa", v)
}
