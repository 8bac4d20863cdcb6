package web

import (
	"context"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/inquiries"
)

// The API of consultations, complaints and suggestions (package inquiries), beside the pages of
// inquiries_pages.go.

// inquiryList is the answer listing inquiries.
type inquiryList struct {
	Inquiries []inquiries.Inquiry `json:"inquiries"`
}

// apiSubmitInquiry submits a question, complaint or suggestion (JSON body: inquiries.Submission).
// A retry with the same Idempotency-Key answers the receipt of the first submission, with the same
// secret, and files nothing. The answer is not kept (it holds the secret, stored only as a hash):
// a retry reads the inquiry again and works its secret out again (inquirySecret).
func (s *Server) apiSubmitInquiry(c *fiber.Ctx) error {
	var body inquiries.Submission
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	o := s.inquiryOffice()
	secret := s.inquirySecret(userID(c), c.Method()+" "+c.Route().Path, c.Get(idempotencyKeyHeader))
	load := func(ctx context.Context, id int64) (any, error) { return o.Receipt(ctx, actor(c), id, secret) }
	return s.createOnceKeeping(c, body, false, load, func(claim claimFunc) (any, error) {
		var opts []inquiries.SubmitOption
		if c.Get(idempotencyKeyHeader) != "" { // createOnce checked it
			opts = append(opts, inquiries.WithSecret(secret),
				inquiries.Within(func(ctx context.Context, tx bun.Tx, q *inquiries.Inquiry) error { return claim(ctx, tx, q.ID) }))
		}
		return o.Submit(c.UserContext(), actor(c), body, opts...)
	})
}

// apiStaffInquiries lists the open inquiries of the caller's jurisdictions (?answered=1: answered).
func (s *Server) apiStaffInquiries(c *fiber.Ctx) error {
	list, err := s.inquiryOffice().ForStaff(c.UserContext(), userID(c), c.Query("answered") == "1")
	if err != nil {
		return err
	}
	return c.JSON(inquiryList{Inquiries: list})
}

// apiMyInquiries lists the caller's own inquiries.
func (s *Server) apiMyInquiries(c *fiber.Ctx) error {
	list, err := s.inquiryOffice().Mine(c.UserContext(), userID(c))
	if err != nil {
		return err
	}
	return c.JSON(inquiryList{Inquiries: list})
}

// apiTrackInquiry answers the asker's inquiry by ?number= and ?secret= (or the number alone for its
// account).
func (s *Server) apiTrackInquiry(c *fiber.Ctx) error {
	q, err := s.inquiryOffice().ForAsker(c.UserContext(), actor(c), inquiries.Access{Number: c.Query("number"), Secret: c.Query("secret")})
	if err != nil {
		return err
	}
	return c.JSON(q.ForAsker())
}

// apiRateInquiry rates a reply (JSON body: inquiries.Rating).
func (s *Server) apiRateInquiry(c *fiber.Ctx) error {
	var body inquiries.Rating
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	q, err := s.inquiryOffice().Rate(c.UserContext(), actor(c), body)
	if err != nil {
		return err
	}
	return c.JSON(q)
}

// inquiryStatistics is the answer of the statistics.
type inquiryStatistics struct {
	Year   int               `json:"year"`
	Counts []inquiries.Count `json:"counts"`
}

// apiInquiryStatistics answers the counts of ?year= (this year by default) under ?jurisdiction=, in
// the caller's jurisdictions.
func (s *Server) apiInquiryStatistics(c *fiber.Ctx) error {
	year := calendar.DateOf(time.Now()).Year()
	if y := c.Query("year"); y != "" {
		var err error
		if year, err = strconv.Atoi(y); err != nil {
			year = -1
		}
	}
	counts, err := s.inquiryOffice().Statistics(c.UserContext(), userID(c), year, c.Query("jurisdiction"))
	if err != nil {
		return err
	}
	return c.JSON(inquiryStatistics{Year: year, Counts: counts})
}

// apiPublicationQueue lists the replies waiting for the caller's publication review.
func (s *Server) apiPublicationQueue(c *fiber.Ctx) error {
	list, err := s.inquiryOffice().ForPublisher(c.UserContext(), userID(c))
	if err != nil {
		return err
	}
	return c.JSON(inquiryList{Inquiries: list})
}

// apiStaffInquiry answers an inquiry of the caller's jurisdictions.
func (s *Server) apiStaffInquiry(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	q, err := s.inquiryOffice().Get(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(q)
}

// inquiryReply is the body of a reply.
type inquiryReply struct {
	Reply string `json:"reply"`
}

// apiReplyInquiry answers an inquiry.
func (s *Server) apiReplyInquiry(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var body inquiryReply
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	q, err := s.inquiryOffice().Reply(c.UserContext(), actor(c), id, body.Reply)
	if err != nil {
		return err
	}
	return c.JSON(q)
}

// apiDecidePublication publishes or declines a reply (JSON body: inquiries.Decision).
func (s *Server) apiDecidePublication(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var body inquiries.Decision
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	q, err := s.inquiryOffice().Decide(c.UserContext(), actor(c), id, body)
	if err != nil {
		return err
	}
	return c.JSON(q)
}

// apiQA answers a page of the search of the public Q&A list.
func (s *Server) apiQA(c *fiber.Ctx) error {
	release, err := s.searches.enter(c.UserContext())
	if err != nil {
		return err
	}
	defer release()
	res, err := inquiries.Search(c.UserContext(), s.DB, readQAQuery(c))
	if err != nil {
		return err
	}
	return c.JSON(res)
}
