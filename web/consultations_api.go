package web

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/consultations"
)

// The API of 征求意见: the public list and drafts with their shown comments and adoption report, the
// public's comments, and the staff's steps. Staff reading consultations of the jurisdiction get
// every comment with its contact and status; everybody else what the public page shows.

// consultationAnswer is a consultation as the API answers it.
type consultationAnswer struct {
	consultations.Consultation
	Authority   string                  `json:"authority"`
	Phase       string                  `json:"phase,omitempty"`
	Attachments []consultationFile      `json:"attachments"`
	Comments    []consultations.Comment `json:"comments"`
	// Report is the adoption report, once published (for staff, as written so far).
	Report *reportAnswer `json:"report,omitempty"`
}

// reportAnswer is the adoption report: its general part and the answers, comment by comment group.
type reportAnswer struct {
	Summary   string          `json:"summary"`
	Responses []responseGroup `json:"responses"`
}

// consultationSummary is a consultation in a listing: without its texts.
type consultationSummary struct {
	ID           int64      `json:"id"`
	Jurisdiction string     `json:"jurisdiction"`
	Authority    string     `json:"authority"`
	Kind         string     `json:"kind"`
	Status       string     `json:"status"`
	Phase        string     `json:"phase"`
	Title        string     `json:"title"`
	StartsOn     string     `json:"starts_on"`
	EndsOn       string     `json:"ends_on"`
	Comments     int        `json:"comment_count"`
	PublishedAt  *time.Time `json:"published_at"`
}

func (s *Server) apiConsultations(c *fiber.Ctx) error {
	res, err := consultations.List(c.UserContext(), s.DB, readConsultationQuery(c))
	if err != nil {
		return err
	}
	codes := make([]string, 0, len(res.Consultations))
	for _, pc := range res.Consultations {
		codes = append(codes, pc.Jurisdiction)
	}
	v := s.view(c, "pc_title")
	if v.names, err = s.loadNames(c.UserContext(), codes, nil); err != nil {
		return err
	}
	today := calendar.Today()
	out := make([]consultationSummary, 0, len(res.Consultations))
	for _, pc := range res.Consultations {
		out = append(out, consultationSummary{ID: pc.ID, Jurisdiction: pc.Jurisdiction, Authority: v.Authority(pc.Jurisdiction), Kind: pc.Kind,
			Status: pc.Status, Phase: pc.Phase(today), Title: pc.Title, StartsOn: pc.StartsOn, EndsOn: pc.EndsOn, Comments: pc.Comments,
			PublishedAt: pc.PublishedAt})
	}
	return c.JSON(fiber.Map{"consultations": out, "total": res.Total, "page": res.Page, "per_page": res.PerPage})
}

// consultationAnswerFor is the consultation as the caller may see it.
func (s *Server) consultationAnswerFor(c *fiber.Ctx, pc *consultations.Consultation) (*consultationAnswer, error) {
	staff := consultations.MayRead(s.Enforcer, userID(c), pc.Jurisdiction)
	v := s.view(c, "pc_title")
	var err error
	if v.names, err = s.loadNames(c.UserContext(), []string{pc.Jurisdiction}, nil); err != nil {
		return nil, err
	}
	files, _, err := s.consultationFiles(c, pc)
	if err != nil {
		return nil, err
	}
	comments, err := consultations.Comments(c.UserContext(), s.DB, pc, staff)
	if err != nil {
		return nil, err
	}
	out := &consultationAnswer{Consultation: *pc, Authority: v.Authority(pc.Jurisdiction), Phase: pc.Phase(calendar.Today()),
		Attachments: files, Comments: comments}
	if pc.Status == consultations.StatusConcluded || staff {
		out.Report = &reportAnswer{Summary: pc.Report, Responses: responseGroups(comments)}
	}
	if out.Report != nil && out.Report.Responses == nil {
		out.Report.Responses = []responseGroup{}
	}
	return out, nil
}

func (s *Server) apiConsultation(c *fiber.Ctx) error {
	pc, err := s.visibleConsultation(c)
	if err != nil {
		return err
	}
	out, err := s.consultationAnswerFor(c, pc)
	if err != nil {
		return err
	}
	return c.JSON(out)
}

// apiCreateConsultation writes a new draft (JSON body: consultations.Draft; files are attached on its page).
func (s *Server) apiCreateConsultation(c *fiber.Ctx) error {
	var body consultations.Draft
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	pc, err := s.consultationService().Create(c.UserContext(), actor(c), body)
	if err != nil {
		return err
	}
	out, err := s.consultationAnswerFor(c, pc)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(out)
}

// sentComment is the answer to a comment sent.
type sentComment struct {
	Number int    `json:"number"`
	Status string `json:"status"`
}

// apiConsultationComment takes a comment of the public; a retry with the same Idempotency-Key
// answers the comment sent the first time and sends nothing.
func (s *Server) apiConsultationComment(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var body consultations.NewComment
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	// The route's path names no consultation: the content does, so that a key sent to another
	// consultation is refused as reused.
	content := struct {
		Consultation int64 `json:"consultation"`
		consultations.NewComment
	}{id, body}
	load := func(ctx context.Context, commentID int64) (any, error) {
		cm, err := consultations.SentComment(ctx, s.DB, id, commentID)
		if err != nil {
			return nil, err
		}
		return sentComment{Number: cm.Number, Status: cm.Status}, nil
	}
	return s.createOnce(c, content, load, func(claim claimFunc) (any, error) {
		cm, err := consultations.Send(c.UserContext(), s.DB, s.commentThrottle(), consultations.Sender{UserID: userID(c), IP: c.IP()}, id, body,
			func(ctx context.Context, tx bun.Tx, cm *consultations.Comment) error { return claim(ctx, tx, cm.ID) })
		if err != nil {
			return nil, err
		}
		return sentComment{Number: cm.Number, Status: cm.Status}, nil
	})
}

// consultationActionBody is a step of the staff: submit, approve, return, report, report_approve
// or report_return, with the publisher's comment or the adoption report's general part.
type consultationActionBody struct {
	Action  string `json:"action"`
	Comment string `json:"comment"`
	Report  string `json:"report"`
}

func (s *Server) apiConsultationAction(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var body consultationActionBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if err := s.consultationStep(c, id, body.Action, body.Comment, body.Report); err != nil {
		return err
	}
	return s.apiConsultation(c)
}

// moderationBody shows (approved) or hides (hidden) a comment.
type moderationBody struct {
	Status string `json:"status"`
}

func (s *Server) apiModerateComment(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cid, err := commentID(c)
	if err != nil {
		return err
	}
	var body moderationBody
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	cm, err := s.consultationService().Moderate(c.UserContext(), actor(c), id, cid, body.Status)
	if err != nil {
		return err
	}
	return c.JSON(cm)
}

func (s *Server) apiRespond(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var body consultations.Response
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	if _, err := s.consultationService().Respond(c.UserContext(), actor(c), id, body); err != nil {
		return err
	}
	return s.apiConsultation(c)
}
