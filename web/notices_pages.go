package web

import (
	"encoding/xml"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gorilla/feeds"

	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/materials"
	"github.com/civicflow/civicflow/notices"
	"github.com/civicflow/civicflow/problem"
)

// Notices (公告) and 双公示: the public portal, its feeds and API, and the staff's writing and the
// publishers' review. The rules are in package notices; these handlers only read and show.

// readNoticeQuery reads a listing from the query string.
func readNoticeQuery(c *fiber.Ctx) notices.Query {
	return notices.Query{Category: c.Query("category"), Q: c.Query("q"), Page: queryNumber(c, "page"), PerPage: queryNumber(c, "per_page")}
}

// noticesValues is the query string of listing q on page, for links.
func noticesValues(q notices.Query, page int) string {
	v := url.Values{}
	if q.Category != "" {
		v.Set("category", q.Category)
	}
	if q.Q != "" {
		v.Set("q", q.Q)
	}
	if q.PerPage > 0 && q.PerPage != notices.DefaultPerPage {
		v.Set("per_page", strconv.Itoa(q.PerPage))
	}
	if page > 1 {
		v.Set("page", strconv.Itoa(page))
	}
	return v.Encode()
}

// noticesPage is the public list of notices, by category, the newest first.
func (s *Server) noticesPage(c *fiber.Ctx) error {
	q := readNoticeQuery(c)
	v := s.view(c, "notices_title")
	v.Form["category"], v.Form["q"] = strings.TrimSpace(q.Category), strings.TrimSpace(q.Q)
	v.Labels = map[string]string{"category": v.T("notices_category"), "q": v.T("notices_q"),
		"page": v.T("register_page"), "per_page": v.T("register_per_page")}
	res, err := notices.List(c.UserContext(), s.DB, q)
	status, err := v.showProblem(err, fiber.StatusOK)
	if err != nil {
		return err
	}
	feed := allFeed
	if notices.ValidCategory(v.Form["category"]) {
		feed = v.Form["category"]
	}
	data := map[string]any{"Categories": notices.Categories, "Results": res, "Feed": "/notices/feed/" + feed + ".atom", "FeedAll": feed == allFeed}
	if res != nil {
		if v.names, err = s.noticeNames(c, res.Notices); err != nil {
			return err
		}
		q.Category, q.Q = v.Form["category"], v.Form["q"]
		pager(data, res.Page, res.Pages(), func(page int) string { return "/notices?" + noticesValues(q, page) })
	}
	v.Data = data
	return s.renderStatus(c, status, "notices", v)
}

// noticeNames loads the names of the authorities of the notices.
func (s *Server) noticeNames(c *fiber.Ctx, ns []notices.Notice) (names, error) {
	codes := make([]string, 0, len(ns))
	for _, n := range ns {
		codes = append(codes, n.Jurisdiction)
	}
	return s.loadNames(c.UserContext(), codes, nil)
}

// userID is the id of who is logged in, 0 for the public.
func userID(c *fiber.Ctx) int64 {
	if u := currentUser(c); u != nil {
		return u.ID
	}
	return 0
}

// noticePage shows a notice with all its published versions, and whether and why it was withdrawn;
// to staff of its jurisdiction also the version not yet published, and the steps they may take.
func (s *Server) noticePage(c *fiber.Ctx) error {
	done := ""
	if d := c.Query("done"); slices.Contains(noticeSteps, d) {
		done = "notices_done_" + d
	} else if c.Query("saved") != "" {
		done = "notices_saved"
	}
	return s.renderNotice(c, fiber.StatusOK, done, nil)
}

// noticeUploads stores the files posted as "attachments" (none when the form is not multipart) and
// returns their ids; a refused file is an Invalid problem on "attachments" naming it.
func (s *Server) noticeUploads(c *fiber.Ctx) ([]int64, error) {
	return s.attachmentUploads(c, notices.AttachmentItem, notices.AttachmentSlot, notices.AttachmentTypes)
}

// attachmentUploads stores the files posted as "attachments" (none when the form is not multipart)
// as the caller's uploads of item and slot, of the types allowed, and returns their ids; a refused
// file is an Invalid problem on "attachments" naming it.
func (s *Server) attachmentUploads(c *fiber.Ctx, item, slot string, types []string) ([]int64, error) {
	if !strings.HasPrefix(c.Get(fiber.HeaderContentType), fiber.MIMEMultipartForm) {
		return nil, nil
	}
	mf, err := c.MultipartForm()
	if err != nil {
		return nil, errBadForm
	}
	var ids []int64
	var fe problem.Fields
	for _, fh := range mf.File["attachments"] {
		if fh.Size == 0 && fh.Filename == "" {
			continue // an empty file input
		}
		r, err := fh.Open()
		if err != nil {
			return nil, fmt.Errorf("opening the upload %q: %w", fh.Filename, err)
		}
		m, err := s.Materials.Upload(c.UserContext(), s.DB, userID(c), item, slot, fh.Filename, r,
			materials.Limits{Types: types, MaxPixels: int64(s.Config.UploadMaxPixels)})
		r.Close()
		if p, ok := problem.As(err); ok {
			fe = append(fe, uploadField("attachments", fh.Filename, p))
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, m.ID)
	}
	return ids, fe.Err()
}

// uploadField is the refusal p of the uploaded file named filename as an error on the form's field
// path, the file's name first.
func uploadField(path, filename string, p *problem.Error) problem.Field {
	return problem.Field{Path: path, Code: p.Code, Message: lang.Text{ZH: filename + "：" + p.Message.ZH, EN: filename + ": " + p.Message.EN}}
}

// noticeRemovals reads the ids of the attachments ticked "remove" on the edit form, multipart or
// not; anything but an id is a bad form.
func noticeRemovals(c *fiber.Ctx) ([]int64, error) {
	var values []string
	if mf, err := c.MultipartForm(); err == nil {
		values = mf.Value["remove"]
	} else {
		for _, b := range c.Request().PostArgs().PeekMulti("remove") {
			values = append(values, string(b))
		}
	}
	ids := make([]int64, 0, len(values))
	for _, s := range values {
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id <= 0 {
			return nil, errBadForm
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// noticeAttachment serves a file attached to a version of the notice the caller may see.
func (s *Server) noticeAttachment(c *fiber.Ctx) error {
	mid, err := strconv.ParseInt(c.Params("file"), 10, 64)
	if err != nil || mid <= 0 {
		return errNotFound
	}
	_, vs, err := s.visibleNotice(c)
	if err != nil {
		return err
	}
	m, err := notices.Attachment(c.UserContext(), s.DB, vs, mid)
	if err != nil {
		return err
	}
	return s.sendMaterial(c, m)
}

// visibleNotice is the notice of the route's :id as the caller may see it (notices.Visible).
func (s *Server) visibleNotice(c *fiber.Ctx) (*notices.Notice, []notices.Version, error) {
	id, err := pathID(c)
	if err != nil {
		return nil, nil, err
	}
	return notices.Visible(c.UserContext(), s.DB, s.Enforcer, userID(c), id)
}

// refill puts formErr's problem on the page, which answers status then, with what was typed into
// the inputs named keys and path as the address to come back to; nothing when formErr is nil.
func (v *view) refill(c *fiber.Ctx, formErr error, status int, path string, keys ...string) (int, error) {
	if formErr == nil {
		return status, nil
	}
	v.Path = path
	for _, k := range keys {
		v.Form[k] = c.FormValue(k)
	}
	return v.showProblem(formErr, status)
}

// noticeSteps are the steps of the review that noticeStepPost takes.
var noticeSteps = []string{"submit", "approve", "return", "withdraw"}

// renderNotice shows the notice, with the message noticeID ("" for none) and formErr's problem.
func (s *Server) renderNotice(c *fiber.Ctx, status int, noticeID string, formErr error) error {
	uid := userID(c)
	n, vs, err := s.visibleNotice(c)
	if err != nil {
		return err
	}
	v := s.view(c, "notices_title")
	v.Title = n.Title
	if noticeID != "" {
		v.Notice = v.T(noticeID)
	}
	if status, err = v.refill(c, formErr, status, fmt.Sprintf("/notices/%d", n.ID), "comment", "reason"); err != nil {
		return err
	}
	if v.names, err = s.loadNames(c.UserContext(), []string{n.Jurisdiction}, nil); err != nil {
		return err
	}
	published := notices.PublishedOnly(vs)
	attached, err := notices.Attachments(c.UserContext(), s.DB, vs)
	if err != nil {
		return err
	}
	files := noticeFiles(n, attached)
	data := map[string]any{"Notice": n, "Versions": published, "Files": files}
	if len(published) > 0 {
		current := published[len(published)-1]
		data["Current"] = current
		if current.Licence != nil {
			if data["Licence"], err = s.licenceAnswer(c, v, n, current.Licence); err != nil {
				return err
			}
		}
	}
	if p := notices.Pending(vs); p != nil {
		data["Pending"] = p
		data["MaySubmit"] = p.Status == notices.VersionDraft && notices.MayWrite(s.Enforcer, uid, n.Jurisdiction)
		data["MayReview"] = p.Status == notices.VersionReview && notices.MayReview(s.Enforcer, uid, n.Jurisdiction)
	} else {
		data["MayRevise"] = n.Status == notices.StatusPublished && notices.MayWrite(s.Enforcer, uid, n.Jurisdiction)
	}
	data["MayWithdraw"] = n.Status == notices.StatusPublished && notices.MayReview(s.Enforcer, uid, n.Jurisdiction)
	v.Data = data
	return s.renderStatus(c, status, "notice", v)
}

// noticeFile is an attachment as a notice's page links to it and the API names it.
type noticeFile struct {
	Name string `json:"name"`
	Href string `json:"href"`
}

// noticeFiles are the attachments of the notice's versions, by version id, with their links.
func noticeFiles(n *notices.Notice, attached map[int64][]materials.Material) map[int64][]noticeFile {
	files := map[int64][]noticeFile{}
	for vid, ms := range attached {
		for _, m := range ms {
			files[vid] = append(files[vid], noticeFile{Name: m.Filename, Href: fmt.Sprintf("/notices/%d/attachments/%d", n.ID, m.ID)})
		}
	}
	return files
}

// licenceAnswer is a 双公示 entry with every field its page shows: the stored fields, the authority
// (named from the division code on entries older than the field), the licence's current status and
// the time the entry's data last changed.
type licenceAnswer struct {
	notices.Licence
	Status    string    `json:"status"` // notices.LicenceValid, LicenceRevoked, LicenceDeregistered or LicenceInForce
	UpdatedAt time.Time `json:"updated_at"`
}

func (s *Server) licenceAnswer(c *fiber.Ctx, v *view, n *notices.Notice, l *notices.Licence) (*licenceAnswer, error) {
	status, err := l.Status(c.UserContext(), s.DB)
	if err != nil {
		return nil, err
	}
	a := &licenceAnswer{Licence: *l, Status: status, UpdatedAt: n.UpdatedAt}
	if a.Authority == "" {
		a.Authority = v.Authority(l.Jurisdiction)
	}
	return a, nil
}

// atomFeed is an Atom feed with links gorilla/feeds cannot write: its own address (rel="self", which
// RFC 4287 recommends) beside the page it mirrors. Links replaces the embedded single Link.
type atomFeed struct {
	*feeds.AtomFeed
	Links []feeds.AtomLink
}

// allFeed names the feed of every category, /notices/feed/all.atom ("all" is no category).
const allFeed = "all"

// noticeFeed is the Atom feed of a category's public notices (of every category's, allFeed), the
// newest 50, with absolute links from the public address of the installation. Each entry's author
// (RFC 4287 §4.1.1) is the authority that issued it; the feed's, for readers that look there only,
// the portal's departments.
func (s *Server) noticeFeed(c *fiber.Ctx) error {
	name, ok := strings.CutSuffix(c.Params("feed"), ".atom")
	if !ok || name != allFeed && !notices.ValidCategory(name) {
		return errNotFound
	}
	category, page, heading := name, "/notices?category="+name, "notices_category_"+name
	if name == allFeed {
		category, page, heading = "", "/notices", "notices_all"
	}
	res, err := notices.List(c.UserContext(), s.DB, notices.Query{Category: category, PerPage: 50})
	if err != nil {
		return err
	}
	v := s.view(c, "notices_title")
	if v.names, err = s.noticeNames(c, res.Notices); err != nil {
		return err
	}
	base := s.Config.PublicBase()
	self := base + "/notices/feed/" + name + ".atom"
	feed := &feeds.Feed{
		Title:  v.T("site_name") + " · " + v.T(heading),
		Link:   &feeds.Link{Href: base + page},
		Author: &feeds.Author{Name: v.T("site_tagline")},
	}
	for _, n := range res.Notices {
		updated := n.UpdatedAt
		if updated.After(feed.Updated) {
			feed.Updated = updated
		}
		title := n.Title
		if n.Status == notices.StatusWithdrawn {
			title = v.T("notices_withdrawn_mark") + title
		}
		link := fmt.Sprintf("%s/notices/%d", base, n.ID)
		item := &feeds.Item{Title: title, Link: &feeds.Link{Href: link}, Id: link, Updated: updated,
			Author: &feeds.Author{Name: v.Authority(n.Jurisdiction)}}
		if n.PublishedAt != nil {
			item.Created = *n.PublishedAt
		}
		feed.Items = append(feed.Items, item)
	}
	if feed.Updated.IsZero() {
		feed.Updated = time.Unix(0, 0).UTC()
	}
	atom := (&feeds.Atom{Feed: feed}).AtomFeed()
	links := []feeds.AtomLink{*atom.Link, {Href: self, Rel: "self", Type: "application/atom+xml"}}
	atom.Link = nil
	out, err := xml.MarshalIndent(atomFeed{AtomFeed: atom, Links: links}, "", "  ")
	if err != nil {
		return fmt.Errorf("writing the %s feed: %w", name, err)
	}
	c.Set(fiber.HeaderContentType, "application/atom+xml; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "public, max-age=60")
	return c.Send(append([]byte(xml.Header), out...))
}

// noticeAnswer is a notice as the API answers it: the published versions, each the full text, as
// its page shows them.
type noticeAnswer struct {
	notices.Notice
	Authority string          `json:"authority"`
	Versions  []versionAnswer `json:"versions,omitempty"`
}

// versionAnswer is a published version with what its page shows beside the text: whether a later
// version superseded it, the licence's fields in full, and its attachments.
type versionAnswer struct {
	notices.Version
	Status      string         `json:"status"` // published, or superseded by a later version
	Licence     *licenceAnswer `json:"licence,omitempty"`
	Attachments []noticeFile   `json:"attachments,omitempty"`
}

func (s *Server) apiNotices(c *fiber.Ctx) error {
	res, err := notices.List(c.UserContext(), s.DB, readNoticeQuery(c))
	if err != nil {
		return err
	}
	v := s.view(c, "notices_title")
	if v.names, err = s.noticeNames(c, res.Notices); err != nil {
		return err
	}
	out := make([]noticeAnswer, 0, len(res.Notices))
	for _, n := range res.Notices {
		out = append(out, noticeAnswer{Notice: n, Authority: v.Authority(n.Jurisdiction)})
	}
	return c.JSON(fiber.Map{"notices": out, "total": res.Total, "page": res.Page, "per_page": res.PerPage})
}

// apiNotice answers a public notice with its published versions; the API shows what the public
// sees, also to staff.
func (s *Server) apiNotice(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	n, vs, err := notices.Visible(c.UserContext(), s.DB, nil, 0, id)
	if err != nil {
		return err
	}
	v := s.view(c, "notices_title")
	if v.names, err = s.loadNames(c.UserContext(), []string{n.Jurisdiction}, nil); err != nil {
		return err
	}
	attached, err := notices.Attachments(c.UserContext(), s.DB, vs)
	if err != nil {
		return err
	}
	files := noticeFiles(n, attached)
	out := noticeAnswer{Notice: *n, Authority: v.Authority(n.Jurisdiction), Versions: make([]versionAnswer, 0, len(vs))}
	for _, ver := range vs {
		a := versionAnswer{Version: ver, Status: notices.PublicStatus(n, &ver), Attachments: files[ver.ID]}
		if ver.Licence != nil {
			if a.Licence, err = s.licenceAnswer(c, v, n, ver.Licence); err != nil {
				return err
			}
		}
		out.Versions = append(out.Versions, a)
	}
	return c.JSON(out)
}

// staffNoticesPage is the staff's work list: the notices of their jurisdictions not yet public or
// with a version not yet published (for publishers, the review queue), and the form of a new notice
// for those who write.
func (s *Server) staffNoticesPage(c *fiber.Ctx) error {
	return s.renderStaffNotices(c, fiber.StatusOK, nil)
}

func (s *Server) renderStaffNotices(c *fiber.Ctx, status int, formErr error) error {
	v := s.view(c, "notices_staff_title")
	uid := userID(c)
	status, err := v.refill(c, formErr, status, "/admin/notices", "category", "jurisdiction", "title", "body")
	if err != nil {
		return err
	}
	v.Labels = map[string]string{"category": v.T("notices_category"), "jurisdiction": v.T("notices_authority"),
		"title": v.T("notices_field_title"), "body": v.T("notices_field_body"), "attachments": v.T("notices_attachments")}
	list, pending, err := notices.InProgress(c.UserContext(), s.DB, s.Enforcer, uid)
	if err != nil {
		return err
	}
	all, err := jurisdictions.List(c.UserContext(), s.DB)
	if err != nil {
		return err
	}
	v.names = placesOf(all)
	writable := jurisdictionsWhere(all, func(code string) bool { return notices.MayWrite(s.Enforcer, uid, code) })
	rows := make([]map[string]any, 0, len(list))
	for _, n := range list {
		p := pending[n.ID]
		rows = append(rows, map[string]any{"Notice": n, "Pending": p, "Returned": notices.Returned(&p),
			"ForMe": p.Status == notices.VersionReview && notices.MayReview(s.Enforcer, uid, n.Jurisdiction) &&
				(p.AuthorID == nil || *p.AuthorID != uid)})
	}
	data := map[string]any{"Rows": rows, "Writable": writable, "Categories": notices.Categories}
	addAttachmentTypes(data)
	v.Data = data
	return s.renderStatus(c, status, "notices_staff", v)
}

// addAttachmentTypes puts the file types a notice may attach into a page's data, for the upload field.
func addAttachmentTypes(data map[string]any) {
	data["Accept"] = materials.Accept(notices.AttachmentTypes)
	data["Types"] = strings.Join(materials.TypeNames(notices.AttachmentTypes), "、")
}

// createNoticePost writes a new draft, with the files attached, and opens it. Files are stored only
// for a writer of the jurisdiction chosen; anyone else is refused by notices.Create.
func (s *Server) createNoticePost(c *fiber.Ctx) error {
	d := notices.Draft{Category: c.FormValue("category"), Jurisdiction: c.FormValue("jurisdiction"), Title: c.FormValue("title"), Body: c.FormValue("body")}
	if notices.MayWrite(s.Enforcer, userID(c), strings.TrimSpace(d.Jurisdiction)) {
		var err error
		if d.Attachments, err = s.noticeUploads(c); err != nil {
			if p, ok := problem.As(err); ok && p.Kind != problem.BadRequest {
				return s.renderStaffNotices(c, fiber.StatusUnprocessableEntity, err)
			}
			return err
		}
	}
	n, err := notices.Create(c.UserContext(), s.DB, s.Enforcer, actor(c), d)
	if p, ok := problem.As(err); ok && p.Kind == problem.Invalid {
		return s.renderStaffNotices(c, fiber.StatusUnprocessableEntity, err)
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/notices/%d?saved=1", n.ID), fiber.StatusSeeOther)
}

// editNoticePage is the form of the notice's draft, or of a correction of a published notice.
func (s *Server) editNoticePage(c *fiber.Ctx) error {
	return s.renderEditNotice(c, fiber.StatusOK, nil)
}

func (s *Server) renderEditNotice(c *fiber.Ctx, status int, formErr error) error {
	uid := userID(c)
	n, vs, err := s.visibleNotice(c)
	if err != nil {
		return err
	}
	if !notices.MayWrite(s.Enforcer, uid, n.Jurisdiction) {
		return problem.ErrForbidden
	}
	v := s.view(c, "notices_edit_title")
	pending := notices.Pending(vs)
	if pending == nil && n.Status != notices.StatusPublished || pending != nil && pending.Status != notices.VersionDraft {
		return problem.New(problem.Conflict, "not_editable", "该公告当前不能修改。", "The notice cannot be changed now.")
	}
	latest := vs[len(vs)-1]
	v.Form["title"], v.Form["body"], v.Form["change"] = latest.Title, latest.Body, ""
	if pending != nil {
		v.Form["change"] = pending.Change
	}
	if status, err = v.refill(c, formErr, status, fmt.Sprintf("/notices/%d/edit", n.ID), "title", "body", "change"); err != nil {
		return err
	}
	v.Labels = map[string]string{"title": v.T("notices_field_title"), "body": v.T("notices_field_body"), "change": v.T("notices_field_change"),
		"attachments": v.T("notices_attachments")}
	files, err := notices.Attachments(c.UserContext(), s.DB, vs[len(vs)-1:])
	if err != nil {
		return err
	}
	data := map[string]any{"Notice": n, "Correction": pending == nil || pending.Number > 1, "Pending": pending, "Files": files[latest.ID]}
	addAttachmentTypes(data)
	v.Data = data
	return s.renderStatus(c, status, "notice_edit", v)
}

// editNoticePost saves the draft, or starts a correction of a published notice.
func (s *Server) editNoticePost(c *fiber.Ctx) error {
	d := notices.Draft{Title: c.FormValue("title"), Body: c.FormValue("body"), Change: c.FormValue("change")}
	ctx, uid := c.UserContext(), userID(c)
	n, vs, err := s.visibleNotice(c)
	if err != nil {
		return err
	}
	id := n.ID
	if !notices.MayWrite(s.Enforcer, uid, n.Jurisdiction) {
		return problem.ErrForbidden // before anything is uploaded
	}
	if d.Remove, err = noticeRemovals(c); err != nil {
		return err
	}
	if d.Attachments, err = s.noticeUploads(c); err != nil {
		if p, ok := problem.As(err); ok && p.Kind != problem.BadRequest {
			return s.renderEditNotice(c, fiber.StatusUnprocessableEntity, err)
		}
		return err
	}
	if notices.Pending(vs) == nil && n.Status == notices.StatusPublished {
		_, err = notices.Revise(ctx, s.DB, s.Enforcer, actor(c), id, d)
	} else {
		_, err = notices.Edit(ctx, s.DB, s.Enforcer, actor(c), id, d)
	}
	if p, ok := problem.As(err); ok && p.Kind == problem.Invalid {
		return s.renderEditNotice(c, fiber.StatusUnprocessableEntity, err)
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/notices/%d?saved=1", id), fiber.StatusSeeOther)
}

// noticeStepPost takes a step of the review on the notice: submit, approve, return or withdraw.
// Invalid input (a return without a comment) shows the notice again with the error beside its field.
func (s *Server) noticeStepPost(step string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c)
		if err != nil {
			return err
		}
		ctx, db, enf, a := c.UserContext(), s.DB, s.Enforcer, actor(c)
		switch step {
		case "submit":
			_, err = notices.Submit(ctx, db, enf, a, id)
		case "approve":
			_, err = notices.Approve(ctx, db, enf, a, id, c.FormValue("comment"))
		case "return":
			_, err = notices.Return(ctx, db, enf, a, id, c.FormValue("comment"))
		case "withdraw":
			_, err = notices.Withdraw(ctx, db, enf, a, id, c.FormValue("reason"))
		}
		if p, ok := problem.As(err); ok && (p.Kind == problem.Invalid || p.Kind == problem.Conflict) {
			return s.renderNotice(c, statusByKind[p.Kind], "", err)
		}
		if err != nil {
			return err
		}
		return c.Redirect(fmt.Sprintf("/notices/%d?done=%s", id, step), fiber.StatusSeeOther)
	}
}
