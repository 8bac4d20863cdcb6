package appointments

import (
	"context"
	"fmt"
	"slices"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// The cases behind bookings: a checked-in booking opens its item's case (OpenCase), and a case whose
// item needs a second visit (appointment.appearance, the divorce confirmation) is booked for within
// its window and moved on when that booking is checked in.

var (
	errNoAppearance = problem.New(problem.Conflict, "no_appearance", "该办件当前不需要预约到场。",
		"This case does not wait for an appointment now.")
	errNotCheckedIn = problem.New(problem.Conflict, "not_checked_in", "该预约尚未签到，不能受理。",
		"This appointment has not been checked in, so no application can be opened from it.")
	errCaseOpen = problem.New(problem.Conflict, "case_open", "该预约已受理为办件。",
		"An application has already been opened from this appointment.")
)

// appearance returns the case the actor sees, its item and the item's appearance, or
// errNoAppearance when the case is not in the state that waits for one.
func (d *Desk) appearance(ctx context.Context, actor audit.Actor, caseID int64) (*workflow.Case, *catalog.Item, *catalog.Appearance, error) {
	v, err := d.engine.Get(ctx, actor, caseID)
	if err != nil {
		return nil, nil, nil, err
	}
	ap := v.Item.Appointment
	if ap == nil || ap.Appearance == nil || v.Case.State != ap.Appearance.State {
		return nil, nil, nil, errNoAppearance
	}
	return v.Case, v.Item, ap.Appearance, nil
}

// partyCase returns the case of an appearance for one of its people: the applicant or a party.
// Anyone else, staff included, gets problem.ErrNotFound, since only the people book.
func (d *Desk) partyCase(ctx context.Context, actor audit.Actor, caseID int64) (*workflow.Case, *catalog.Item, *catalog.Appearance, error) {
	c, item, ap, err := d.appearance(ctx, actor, caseID)
	if err != nil {
		return nil, nil, nil, err
	}
	if c.ApplicantID != actor.UserID && !slices.Contains(c.Parties, actor.UserID) {
		return nil, nil, nil, problem.ErrNotFound
	}
	return c, item, ap, nil
}

// Window is the confirmation window of a case the actor is a party of (from, to inclusive): from the
// day the appearance's clock started to its statutory due date. A case not waiting for an appearance
// is Conflict no_appearance.
func (d *Desk) Window(ctx context.Context, actor audit.Actor, caseID int64) (from, to string, err error) {
	c, _, ap, err := d.partyCase(ctx, actor, caseID)
	if err != nil {
		return "", "", err
	}
	w, err := d.caseWindow(ctx, c, ap)
	if err != nil {
		return "", "", err
	}
	return w.from.String(), w.to.String(), nil
}

// caseWindow reads the window of the appearance's clock on the case.
func (d *Desk) caseWindow(ctx context.Context, c *workflow.Case, ap *catalog.Appearance) (window, error) {
	clock, err := d.engine.Clock(ctx, c.ID, ap.Clock)
	if err != nil {
		return window{}, err
	}
	if clock == nil || clock.StatutoryDue == "" {
		return window{}, errNoAppearance
	}
	w, err := parseWindow(clock.StartedOn, clock.StatutoryDue)
	if err != nil {
		return window{}, fmt.Errorf("clock %s of case %d: %w", ap.Clock, c.ID, err)
	}
	return w, nil
}

// checkAppearance checks a confirmation booking against its case: the service is the item's and the
// two people are the case's, in either order. It returns the case's window; a wrong service or person
// is an Invalid problem, a case the actor may not book for some other problem.
func (d *Desk) checkAppearance(ctx context.Context, actor audit.Actor, o *Office, in *BookingInput) (window, error) {
	c, item, ap, err := d.partyCase(ctx, actor, in.CaseID)
	if err != nil {
		return window{}, err
	}
	w, err := d.caseWindow(ctx, c, ap)
	if err != nil {
		return window{}, err
	}
	var fe problem.Fields
	checkCaseOffice(&fe, c, o)
	if string(in.Service) != item.Appointment.Service {
		fe.Add("service", "not_case_service", "所选业务与该办件不符。", "The service is not the one of this case.")
	}
	data, _ := c.Data[item.Form].(map[string]any)
	people := []any{data["booker_id_number"], data["partner_id_number"]}
	if !slices.Contains(people, any(in.BookerIDNumber)) {
		fe.Add("booker_id_number", "people_mismatch", "预约人不是该办件的当事人。", "The booker is not one of the people of this case.")
	}
	if !slices.Contains(people, any(in.PartnerIDNumber)) {
		fe.Add("partner_id_number", "people_mismatch", "另一方不是该办件的当事人。", "The partner is not one of the people of this case.")
	}
	return w, fe.Err()
}

// BookingOffices lists the active offices a booking may be made at: all of them, or for a case's
// confirmation booking (caseID > 0) those of the case's jurisdiction, to a party of the case.
func (d *Desk) BookingOffices(ctx context.Context, actor audit.Actor, caseID int64) ([]Office, error) {
	offices, err := d.Offices(ctx, true)
	if err != nil || caseID == 0 {
		return offices, err
	}
	c, _, _, err := d.partyCase(ctx, actor, caseID)
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(offices, func(o Office) bool {
		var fe problem.Fields
		checkCaseOffice(&fe, c, &o)
		return len(fe) > 0
	}), nil
}

// checkCaseOffice adds not_case_office on office_id unless the office is one of the case's
// jurisdiction, whose clerks may take the appearance's action on it.
func checkCaseOffice(fe *problem.Fields, c *workflow.Case, o *Office) {
	if o.Jurisdiction != c.Jurisdiction {
		fe.Add("office_id", "not_case_office", "请预约受理该离婚登记申请的登记机关所在地的婚姻登记处。",
			"Book an office of the jurisdiction that accepted the application.")
	}
}

// takeAppearance takes the appearance's action on the case of a confirmation booking, for the clerk
// who checks the people in, with checkIn in the action's transaction: the case moves exactly when the
// booking is checked in. The case must still wait for the appearance.
func (d *Desk) takeAppearance(ctx context.Context, clerk audit.Actor, caseID int64, checkIn func(context.Context, bun.Tx) error) error {
	c, _, ap, err := d.appearance(ctx, clerk, caseID)
	if err != nil {
		return err
	}
	_, err = d.engine.Apply(ctx, clerk, c.ID, workflow.ApplyRequest{Action: ap.Action, ExpectedVersion: c.Version},
		workflow.WithinApply(checkIn))
	return err
}

// OpenCase starts the case of a checked-in booking's service on behalf of the booker (the partner's
// account, if one is bound to the partner's ID number, joins as a party), fills its form in from the
// booking and links the case to the booking (appointment:checkin in the office's jurisdiction).
func (d *Desk) OpenCase(ctx context.Context, actor audit.Actor, bookingID int64) (*workflow.Case, error) {
	b, err := d.loadBooking(ctx, d.db, bookingID)
	if err != nil {
		return nil, err
	}
	o, err := d.Office(ctx, b.OfficeID)
	if err != nil {
		return nil, err
	}
	if !d.allowed(actor, o.Jurisdiction, "appointment", "checkin") {
		return nil, problem.ErrForbidden
	}
	if b.Status != StatusCheckedIn {
		return nil, errNotCheckedIn
	}
	if b.CaseID != nil {
		return nil, errCaseOpen
	}
	item, ok := d.ItemFor(b.Service)
	if !ok {
		return nil, problem.New(problem.Conflict, "no_item", "服务目录中没有该业务的事项。", "The catalogue has no item for this service.")
	}
	var parties []int64
	if id, ok, err := accounts.UserByIDNumber(ctx, d.db, b.PartnerIDNumber); err != nil {
		return nil, err
	} else if ok && id != b.UserID {
		parties = append(parties, id)
	}
	data := map[string]any{"booker_name": b.BookerName, "booker_id_number": b.BookerIDNumber,
		"partner_name": b.PartnerName, "partner_id_number": b.PartnerIDNumber, "booking_code": b.Code}
	// The link is written in the case's own transaction and only to a booking without a case, so that
	// of two clerks opening the same booking at once one starts the case and the other gets
	// case_open, with no case left behind.
	link := func(ctx context.Context, tx bun.Tx, c *workflow.Case) error {
		res, err := tx.NewUpdate().Model((*Booking)(nil)).Set("case_id = ?, updated_at = ?", c.ID, d.now()).
			Where("id = ? AND case_id IS NULL", b.ID).Exec(ctx)
		if err != nil {
			return fmt.Errorf("linking booking %d to case %d: %w", b.ID, c.ID, err)
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return errCaseOpen
		}
		return nil
	}
	return d.engine.Start(ctx, actor, item.Code, o.Jurisdiction, data,
		workflow.OnBehalfOf(b.UserID, parties...), workflow.WithinStart(link))
}
