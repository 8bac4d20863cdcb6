package web

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/consultations"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/problem"
)

// 征求意见 (public consultation on drafts): the public list and page of a draft with its comment
// form, and the staff's pages to write, review, moderate, answer and publish the adoption report.
// The rules are package consultations'; these handlers only read and show.

// consultationService is the package's operations with this installation's minimum periods.
func (s *Server) consultationService() consultations.Service {
	return consultations.Service{DB: s.DB, Auth: s.Enforcer, Min: consultations.Minimums{
		NormativeWorkingDays: s.Config.ConsultationMinWorkingDays, RuleDays: s.Config.ConsultationMinRuleDays}}
}

// commentThrottle bounds the public's comments per address and account.
func (s *Server) commentThrottle() consultations.Throttle {
	return consultations.Throttle{Max: s.Config.ConsultationCommentsPerIP, Window: s.Config.LoginThrottleWindow}
}

// readConsultationQuery reads a listing from the query string.
func readConsultationQuery(c *fiber.Ctx) consultations.Query {
	return consultations.Query{State: c.Query("state"), Page: queryNumber(c, "page"), PerPage: queryNumber(c, "per_page")}
}

// consultationsPage is the public list: drafts open for comment and those whose period ended.
func (s *Server) consultationsPage(c *fiber.Ctx) error {
	q := readConsultationQuery(c)
	v := s.view(c, "pc_title")
	v.Form["state"] = strings.TrimSpace(q.State)
	v.Labels = map[string]string{"state": v.T("pc_state"), "page": v.T("register_page"), "per_page": v.T("register_per_page")}
	res, err := consultations.List(c.UserContext(), s.DB, q)
	status, err := v.showProblem(err, fiber.StatusOK)
	if err != nil {
		return err
	}
	data := map[string]any{"Results": res, "States": []string{consultations.StateOpen, consultations.StateClosed}, "Today": calendar.Today()}
	if res != nil {
		codes := make([]string, 0, len(res.Consultations))
		for _, pc := range res.Consultations {
			codes = append(codes, pc.Jurisdiction)
		}
		if v.names, err = s.loadNames(c.UserContext(), codes, nil); err != nil {
			return err
		}
		pager(data, res.Page, res.Pages(), func(page int) string {
			val := url.Values{}
			if st := v.Form["state"]; st != "" {
				val.Set("state", st)
			}
			if q.PerPage > 0 && q.PerPage != consultations.DefaultPerPage {
				val.Set("per_page", strconv.Itoa(q.PerPage))
			}
			if page > 1 {
				val.Set("page", strconv.Itoa(page))
			}
			return "/consultations?" + val.Encode()
		})
	}
	v.Data = data
	return s.renderStatus(c, status, "consultations", v)
}

// visibleConsultation is the consultation of the route's :id as the caller may see it.
func (s *Server) visibleConsultation(c *fiber.Ctx) (*consultations.Consultation, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, err
	}
	return consultations.Visible(c.UserContext(), s.DB, s.Enforcer, userID(c), id)
}

// consultationFile is an attachment as pages link to it and the API names it.
type consultationFile struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Href string `json:"href"`
}

func (s *Server) consultationFiles(c *fiber.Ctx, pc *consultations.Consultation) ([]consultationFile, []materials.Material, error) {
	ms, err := consultations.Attachments(c.UserContext(), s.DB, pc)
	if err != nil {
		return nil, nil, err
	}
	out := make([]consultationFile, 0, len(ms))
	for _, m := range ms {
		out = append(out, consultationFile{ID: m.ID, Name: m.Filename, Href: fmt.Sprintf("/consultations/%d/attachments/%d", pc.ID, m.ID)})
	}
	return out, ms, nil
}

// consultationPage is the public page of a draft: its text, explanation, files and period, the
// comments shown, the comment form while the period runs, and the adoption report once published.
func (s *Server) consultationPage(c *fiber.Ctx) error {
	done := ""
	if c.Query("done") == "comment" {
		done = "pc_done_comment"
	}
	return s.renderConsultation(c, fiber.StatusOK, done, nil)
}

func (s *Server) renderConsultation(c *fiber.Ctx, status int, done string, formErr error) error {
	pc, err := s.visibleConsultation(c)
	if err != nil {
		return err
	}
	v := s.view(c, "pc_title")
	v.Title = pc.Title
	if done != "" {
		v.Notice = v.T(done)
	}
	if status, err = v.refill(c, formErr, status, pc.Path(), "body", "name", "contact"); err != nil {
		return err
	}
	v.Labels = map[string]string{"body": v.T("pc_comment_body"), "name": v.T("pc_comment_name"), "contact": v.T("pc_comment_contact")}
	if v.names, err = s.loadNames(c.UserContext(), []string{pc.Jurisdiction}, nil); err != nil {
		return err
	}
	files, _, err := s.consultationFiles(c, pc)
	if err != nil {
		return err
	}
	data := map[string]any{"C": pc, "Files": files, "Phase": pc.Phase(calendar.Today()),
		"Staff": consultations.MayRead(s.Enforcer, userID(c), pc.Jurisdiction), "Once": newOnce()}
	if consultations.Public(pc.Status) {
		shown, err := consultations.Comments(c.UserContext(), s.DB, pc, false)
		if err != nil {
			return err
		}
		data["Comments"] = shown
		if pc.Status == consultations.StatusConcluded {
			data["Groups"] = responseGroups(shown)
		}
	}
	v.Data = data
	return s.renderStatus(c, status, "consultation", v)
}

// responseGroup is one answer of the adoption report: the comments it answers and the decision.
type responseGroup struct {
	Numbers  []int  `json:"comments"`
	Decision string `json:"decision"`
	Reason   string `json:"reason"`
}

// responseGroups gathers the answered comments by answer, in the order of their first comment.
func responseGroups(cs []consultations.Comment) []responseGroup {
	var out []responseGroup
	at := map[int]int{}
	for _, cm := range cs {
		if cm.Decision == "" {
			continue
		}
		i, ok := at[cm.Group]
		if !ok {
			i = len(out)
			at[cm.Group] = i
			out = append(out, responseGroup{Decision: cm.Decision, Reason: cm.Reason})
		}
		out[i].Numbers = append(out[i].Numbers, cm.Number)
	}
	return out
}

// consultationCommentPost takes a comment of the public from the page's form. The form's one-time
// token is claimed first: a second post of the form (a double click, a reload) sends nothing and
// shows the page as the first left it.
func (s *Server) consultationCommentPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	once, sent, err := s.claimOnce(c)
	if err != nil {
		return err
	}
	if sent == 0 {
		defer s.releaseOnce(c, once)
		_, err = consultations.Send(c.UserContext(), s.DB, s.commentThrottle(), consultations.Sender{UserID: userID(c), IP: c.IP()}, id,
			consultations.NewComment{Body: c.FormValue("body"), Name: c.FormValue("name"), Contact: c.FormValue("contact")},
			func(ctx context.Context, tx bun.Tx, cm *consultations.Comment) error {
				return bindOnce(once)(ctx, tx, cm.ID)
			})
		if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
			return s.renderConsultation(c, statusByKind[p.Kind], "", err)
		}
		if err != nil {
			return err
		}
	}
	return c.Redirect(fmt.Sprintf("/consultations/%d?done=comment", id), fiber.StatusSeeOther)
}

// consultationAttachment serves a file of a draft the caller may see.
func (s *Server) consultationAttachment(c *fiber.Ctx) error {
	mid, err := strconv.ParseInt(c.Params("file"), 10, 64)
	if err != nil || mid <= 0 {
		return errNotFound
	}
	pc, err := s.visibleConsultation(c)
	if err != nil {
		return err
	}
	m, err := consultations.Attachment(c.UserContext(), s.DB, pc, mid)
	if err != nil {
		return err
	}
	return s.sendMaterial(c, m)
}

// addConsultationTypes puts the attachment types into a page's data, for the upload field.
func addConsultationTypes(data map[string]any) {
	data["Accept"] = materials.Accept(consultations.AttachmentTypes)
	data["Types"] = strings.Join(materials.TypeNames(consultations.AttachmentTypes), "、")
	data["Kinds"] = consultations.Kinds
}

// consultationFields are the inputs of a draft's form.
var consultationFields = []string{"jurisdiction", "kind", "title", "body", "explanation", "starts_on", "ends_on"}

func (v *view) labelConsultationForm() {
	for _, f := range consultationFields {
		v.Labels[f] = v.T("pc_field_" + f)
	}
	v.Labels["attachments"] = v.T("notices_attachments")
}

// staffConsultationsPage is the staff's work list of their jurisdictions, with the form of a new draft.
func (s *Server) staffConsultationsPage(c *fiber.Ctx) error {
	return s.renderStaffConsultations(c, fiber.StatusOK, nil)
}

func (s *Server) renderStaffConsultations(c *fiber.Ctx, status int, formErr error) error {
	uid := userID(c)
	v := s.view(c, "pc_staff_title")
	status, err := v.refill(c, formErr, status, "/admin/consultations", consultationFields...)
	if err != nil {
		return err
	}
	v.labelConsultationForm()
	list, err := consultations.InProgress(c.UserContext(), s.DB, s.Enforcer, uid)
	if err != nil {
		return err
	}
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	v.names = placesOf(all)
	writable := jurisdictionsWhere(all, func(code string) bool { return consultations.MayWrite(s.Enforcer, uid, code) })
	rows := make([]map[string]any, 0, len(list))
	for _, w := range list {
		rows = append(rows, map[string]any{"W": w, "Phase": w.Phase(calendar.Today()), "Returned": w.Returned() || w.ReportReturned(),
			"ForMe": (w.Status == consultations.StatusReview || w.Status == consultations.StatusReport) &&
				consultations.MayReview(s.Enforcer, uid, w.Jurisdiction)})
	}
	if v.Form["kind"] == "" {
		v.Form["kind"] = consultations.KindNormative
	}
	data := map[string]any{"Rows": rows, "Writable": writable}
	addConsultationTypes(data)
	v.Data = data
	return s.renderStatus(c, status, "admin_consultations", v)
}

// consultationDraft reads a draft's form.
func consultationDraft(c *fiber.Ctx) consultations.Draft {
	return consultations.Draft{Jurisdiction: c.FormValue("jurisdiction"), Kind: c.FormValue("kind"), Title: c.FormValue("title"),
		Body: c.FormValue("body"), Explanation: c.FormValue("explanation"), StartsOn: c.FormValue("starts_on"), EndsOn: c.FormValue("ends_on")}
}

// consultationUploads stores the posted attachments.
func (s *Server) consultationUploads(c *fiber.Ctx) ([]int64, error) {
	return s.attachmentUploads(c, consultations.AttachmentItem, consultations.AttachmentSlot, consultations.AttachmentTypes)
}

// createConsultationPost writes a new draft with its files and opens its staff page. Files are
// stored only for a writer of the jurisdiction chosen.
func (s *Server) createConsultationPost(c *fiber.Ctx) error {
	d := consultationDraft(c)
	if consultations.MayWrite(s.Enforcer, userID(c), strings.TrimSpace(d.Jurisdiction)) {
		var err error
		if d.Attachments, err = s.consultationUploads(c); err != nil {
			if p, ok := problem.As(err); ok && p.Kind != problem.BadRequest {
				return s.renderStaffConsultations(c, fiber.StatusUnprocessableEntity, err)
			}
			return err
		}
	}
	pc, err := s.consultationService().Create(c.UserContext(), actor(c), d)
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Forbidden) {
		return s.renderStaffConsultations(c, statusByKind[p.Kind], err)
	}
	if err != nil {
		return err
	}
	return c.Redirect(pc.StaffPath()+"?done=saved", fiber.StatusSeeOther)
}

// staffConsultation is the consultation of the route's :id for staff reading consultations of its
// jurisdiction; anyone else is told it does not exist.
func (s *Server) staffConsultation(c *fiber.Ctx) (*consultations.Consultation, error) {
	pc, err := s.visibleConsultation(c)
	if err != nil {
		return nil, err
	}
	if !consultations.MayRead(s.Enforcer, userID(c), pc.Jurisdiction) {
		return nil, problem.ErrNotFound
	}
	return pc, nil
}

// consultationSteps are the steps staffConsultationPage's forms post, with their done messages.
var consultationSteps = []string{"saved", "submit", "approve", "return", "moderate", "respond", "report", "report_approve", "report_return"}

// staffConsultationPage is a consultation as its staff work on it: the draft's form while it is a
// draft, the review, every comment with its contact and moderation, the answers and the adoption report.
func (s *Server) staffConsultationPage(c *fiber.Ctx) error {
	done := ""
	if d := c.Query("done"); slices.Contains(consultationSteps, d) {
		done = "pc_done_" + d
	}
	return s.renderStaffConsultation(c, fiber.StatusOK, done, nil)
}

// renderStaffConsultation shows the staff page, with the message done ("" for none) and formErr's
// problem; keys are the inputs of the form that was refused, shown again as they were typed.
func (s *Server) renderStaffConsultation(c *fiber.Ctx, status int, done string, formErr error, keys ...string) error {
	uid := userID(c)
	pc, err := s.staffConsultation(c)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	v := s.view(c, "pc_staff_title")
	v.Title = pc.Title
	if done != "" {
		v.Notice = v.T(done)
	}
	v.Form["kind"], v.Form["title"], v.Form["body"], v.Form["explanation"] = pc.Kind, pc.Title, pc.Body, pc.Explanation
	v.Form["starts_on"], v.Form["ends_on"], v.Form["report"] = pc.StartsOn, pc.EndsOn, pc.Report
	if status, err = v.refill(c, formErr, status, pc.StaffPath(), keys...); err != nil {
		return err
	}
	v.labelConsultationForm()
	for _, f := range []string{"comment", "decision", "reason", "report", "comments", "status"} {
		v.Labels[f] = v.T("pc_field_" + f)
	}
	if v.names, err = s.loadNames(ctx, []string{pc.Jurisdiction}, []*int64{pc.AuthorID}); err != nil {
		return err
	}
	files, _, err := s.consultationFiles(c, pc)
	if err != nil {
		return err
	}
	all, err := consultations.Comments(ctx, s.DB, pc, true)
	if err != nil {
		return err
	}
	if len(all) > 0 {
		// The comments show their senders' contacts: a staff read of personal data.
		if err := audit.RecordRead(ctx, s.DB, actor(c), "consultation.comments_read", "consultation", fmt.Sprint(pc.ID), pc.Jurisdiction,
			map[string]any{"comments": len(all)}); err != nil {
			return err
		}
	}
	write := consultations.MayWrite(s.Enforcer, uid, pc.Jurisdiction)
	review := consultations.MayReview(s.Enforcer, uid, pc.Jurisdiction)
	phase := pc.Phase(calendar.Today())
	answering := phase == consultations.PhaseEnded && (pc.Status == consultations.StatusPublished || pc.Status == consultations.StatusClosed)
	data := map[string]any{"C": pc, "Files": files, "Comments": all, "Phase": phase,
		"MayEdit":      pc.Status == consultations.StatusDraft && write,
		"MayReview":    pc.Status == consultations.StatusReview && review,
		"MayModerate":  consultations.MayModerate(s.Enforcer, uid, pc) && pc.Status != consultations.StatusReport && pc.Status != consultations.StatusConcluded,
		"MayAnswer":    answering && write,
		"MayReviewRep": pc.Status == consultations.StatusReport && review,
		"Decisions":    consultations.Decisions,
		"Groups":       responseGroups(all),
	}
	addConsultationTypes(data)
	v.Data = data
	return s.renderStatus(c, status, "admin_consultation", v)
}

// draftKeys are the inputs of the draft's form on the staff page.
var draftKeys = []string{"kind", "title", "body", "explanation", "starts_on", "ends_on"}

// editConsultationPost saves the draft with its files.
func (s *Server) editConsultationPost(c *fiber.Ctx) error {
	pc, err := s.staffConsultation(c)
	if err != nil {
		return err
	}
	if !consultations.MayWrite(s.Enforcer, userID(c), pc.Jurisdiction) {
		return problem.ErrForbidden // before anything is uploaded
	}
	d := consultationDraft(c)
	if d.Remove, err = noticeRemovals(c); err != nil {
		return err
	}
	if d.Attachments, err = s.consultationUploads(c); err != nil {
		if p, ok := problem.As(err); ok && p.Kind != problem.BadRequest {
			return s.renderStaffConsultation(c, fiber.StatusUnprocessableEntity, "", err, draftKeys...)
		}
		return err
	}
	_, err = s.consultationService().Edit(c.UserContext(), actor(c), pc.ID, d)
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
		return s.renderStaffConsultation(c, statusByKind[p.Kind], "", err, draftKeys...)
	}
	if err != nil {
		return err
	}
	return c.Redirect(pc.StaffPath()+"?done=saved", fiber.StatusSeeOther)
}

// consultationStep takes one step on consultation id, with the fields of a form or a JSON body.
func (s *Server) consultationStep(c *fiber.Ctx, id int64, step, comment, report string) error {
	svc, ctx, a := s.consultationService(), c.UserContext(), actor(c)
	var err error
	switch step {
	case "submit":
		_, err = svc.Submit(ctx, a, id)
	case "approve":
		_, err = svc.Approve(ctx, a, id, comment)
	case "return":
		_, err = svc.Return(ctx, a, id, comment)
	case "report":
		_, err = svc.SubmitReport(ctx, a, id, report)
	case "report_approve":
		_, err = svc.ApproveReport(ctx, a, id, comment)
	case "report_return":
		_, err = svc.ReturnReport(ctx, a, id, comment)
	default:
		var fe problem.Fields
		fe.Add("action", "invalid", "没有该操作。", "There is no such action.")
		err = fe.Err()
	}
	return err
}

// consultationStepPost takes a step of the review from the staff page's forms; a refusal shows the
// page again with the error where it belongs.
func (s *Server) consultationStepPost(step string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		err = s.consultationStep(c, id, step, c.FormValue("comment"), c.FormValue("report"))
		if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict || p.Kind == problem.Forbidden) {
			return s.renderStaffConsultation(c, statusByKind[p.Kind], "", err, "comment", "report")
		}
		if err != nil {
			return err
		}
		return c.Redirect(fmt.Sprintf("/admin/consultations/%d?done=%s", id, step), fiber.StatusSeeOther)
	}
}

// commentID reads the route's :comment.
func commentID(c *fiber.Ctx) (int64, error) {
	id, err := strconv.ParseInt(c.Params("comment"), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// moderateCommentPost shows or hides a comment.
func (s *Server) moderateCommentPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cid, err := commentID(c)
	if err != nil {
		return err
	}
	_, err = s.consultationService().Moderate(c.UserContext(), actor(c), id, cid, c.FormValue("status"))
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict || p.Kind == problem.Forbidden) {
		return s.renderStaffConsultation(c, statusByKind[p.Kind], "", err)
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/admin/consultations/%d?done=moderate#comment-%d", id, cid), fiber.StatusSeeOther)
}

// respondPost answers the comments ticked on the staff page together.
func (s *Server) respondPost(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	r := consultations.Response{Decision: c.FormValue("decision"), Reason: c.FormValue("reason")}
	for _, b := range c.Request().PostArgs().PeekMulti("comments") {
		n, err := strconv.ParseInt(string(b), 10, 64)
		if err != nil || n <= 0 {
			return errBadForm
		}
		r.Comments = append(r.Comments, n)
	}
	_, err = s.consultationService().Respond(c.UserContext(), actor(c), id, r)
	if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict || p.Kind == problem.Forbidden) {
		return s.renderStaffConsultation(c, statusByKind[p.Kind], "", err, "decision", "reason")
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/admin/consultations/%d?done=respond", id), fiber.StatusSeeOther)
}
