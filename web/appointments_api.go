package web

import (
	"context"
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/appointments"
)

// publicSlotCache lets browsers and proxies keep the public answers about free seats for a few
// seconds: on a hot day most of the traffic is people refreshing them.
const publicSlotCache = "public, max-age=5"

// queryCaseID reads the optional ?case= of a confirmation booking: 0 when absent.
func queryCaseID(c *fiber.Ctx) (int64, error) {
	v := c.Query("case")
	if v == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(v, 10, 64)
	if err != nil || id <= 0 {
		return 0, fieldProblem("case", "invalid", "case 应为办件编号（数字）。", "case must be a case's numeric id.")
	}
	return id, nil
}

// officeAndCase reads the office of the path and the optional ?case= of the days and slots a visitor
// may look at: a case's confirmation window is only for a logged-in party of the case.
func officeAndCase(c *fiber.Ctx) (officeID, caseID int64, err error) {
	if officeID, err = pathID(c); err != nil {
		return 0, 0, err
	}
	if caseID, err = queryCaseID(c); err != nil {
		return 0, 0, err
	}
	if caseID != 0 && currentUser(c) == nil {
		return 0, 0, errLoginRequired
	}
	return officeID, caseID, nil
}

func (s *Server) apiOffices(c *fiber.Ctx) error {
	offices, err := s.Desk.Offices(c.UserContext(), true)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"offices": nonNil(offices)})
}

func (s *Server) apiOffice(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	o, err := s.Desk.Office(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

func (s *Server) apiCreateOffice(c *fiber.Ctx) error {
	var in appointments.OfficeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	o, err := s.Desk.CreateOffice(c.UserContext(), actor(c), in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(o)
}

func (s *Server) apiUpdateOffice(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in appointments.OfficeInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	o, err := s.Desk.UpdateOffice(c.UserContext(), actor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(o)
}

// apiSlots answers the free seats of an office on a day for a service, to anyone; for a case's
// confirmation booking (?case=) only to a party of the case.
func (s *Server) apiSlots(c *fiber.Ctx) error {
	id, caseID, err := officeAndCase(c)
	if err != nil {
		return err
	}
	slots, err := s.Desk.Slots(c.UserContext(), id, c.Query("day"), appointments.Service(c.Query("service")), caseID, actor(c))
	if err != nil {
		return err
	}
	setSlotCache(c, caseID)
	return c.JSON(slots)
}

// apiBookableDays answers the days of the booking window, to anyone; for a case's confirmation
// booking (?case=) only to a party of the case.
func (s *Server) apiBookableDays(c *fiber.Ctx) error {
	id, caseID, err := officeAndCase(c)
	if err != nil {
		return err
	}
	days, err := s.Desk.BookableDays(c.UserContext(), id, appointments.Service(c.Query("service")), caseID, actor(c))
	if err != nil {
		return err
	}
	setSlotCache(c, caseID)
	return c.JSON(fiber.Map{"days": nonNil(days)})
}

// setSlotCache lets shared caches keep a public answer about free seats briefly, and none of a case's.
func setSlotCache(c *fiber.Ctx, caseID int64) {
	if caseID == 0 {
		c.Set(fiber.HeaderCacheControl, publicSlotCache)
	} else {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
}

func (s *Server) apiSetOfficeDay(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var day appointments.OfficeDay
	if err := decodeJSON(c, &day); err != nil {
		return err
	}
	got, err := s.Desk.SetDay(c.UserContext(), actor(c), id, day)
	if err != nil {
		return err
	}
	return c.JSON(got)
}

func (s *Server) apiRemoveOfficeDay(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	if err := s.Desk.RemoveDay(c.UserContext(), actor(c), id, c.Query("day")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *Server) apiDaySheet(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	sheet, err := s.Desk.DaySheet(c.UserContext(), actor(c), id, c.Query("day"))
	if err != nil {
		return err
	}
	sheet.Lines = nonNil(sheet.Lines)
	return c.JSON(sheet)
}

func (s *Server) apiCheckIn(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var in appointments.CheckInInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	b, err := s.Desk.CheckIn(c.UserContext(), actor(c), id, in)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (s *Server) apiBook(c *fiber.Ctx) error {
	var in appointments.BookingInput
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	load := func(ctx context.Context, id int64) (any, error) { return s.Desk.Booking(ctx, actor(c), id) }
	return s.createOnce(c, in, load, func(claim claimFunc) (any, error) {
		return s.Desk.Book(c.UserContext(), actor(c), in,
			appointments.WithinBooking(func(ctx context.Context, tx bun.Tx, b *appointments.Booking) error { return claim(ctx, tx, b.ID) }))
	})
}

func (s *Server) apiMyBookings(c *fiber.Ctx) error {
	bookings, err := s.Desk.MyBookings(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"bookings": nonNil(bookings)})
}

func (s *Server) apiBooking(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	b, err := s.Desk.Booking(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

// moveRequest is the new time of a booking.
type moveRequest struct {
	Day   string `json:"day"`
	Start string `json:"start"`
}

func (s *Server) apiMove(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	var req moveRequest
	if err := decodeJSON(c, &req); err != nil {
		return err
	}
	b, err := s.Desk.Move(c.UserContext(), actor(c), id, req.Day, req.Start)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

func (s *Server) apiCancel(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	b, err := s.Desk.Cancel(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.JSON(b)
}

// sendICS answers a booking's iCalendar file as a download, for the page and the API alike.
func (s *Server) sendICS(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	ics, err := s.Desk.ICS(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/calendar; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="booking-`+strconv.FormatInt(id, 10)+`.ics"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(ics)
}

func (s *Server) apiOpenCase(c *fiber.Ctx) error {
	id, err := pathID(c)
	if err != nil {
		return err
	}
	cs, err := s.Desk.OpenCase(c.UserContext(), actor(c), id)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(cs)
}

func (s *Server) apiMyBan(c *fiber.Ctx) error {
	ban, err := s.Desk.BanOf(c.UserContext(), actor(c))
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"ban": ban})
}
