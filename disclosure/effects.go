package disclosure

import (
	"context"
	"fmt"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/problem"
	"github.com/civicflow/civicflow/workflow"
)

// The effects of the information-disclosure item (catalog/items/information-disclosure.yaml) that
// keep its requests' rows and enforce what the regulation asks of a reply. effects.Wire registers
// them with the engine.
const (
	// EffectReceived records the request as received (on_start; again on a corrected request, whose
	// applicant particulars may have changed): the applicant's column and key from the application
	// form, the channel and the day of receipt from the entry of a request staff entered, else
	// "online" and the day it was submitted.
	EffectReceived = "disclosure.received"
	// EffectClosed records the end of the request with the outcome in the case's field "outcome" (a
	// Code of Outcomes), on the day of the action. A disclosing outcome (予以公开, 部分公开) over a third
	// party's objection is refused until the objection notice was issued (ObjectionNoticeKind).
	EffectClosed = "disclosure.closed"
	// EffectFee computes the fee of a fee notice from the case's fields "fee_method" and, per page,
	// "pages": it sets "fee_amount" (fen), "fee_yuan" (text for the notice) and "fee_basis"; a fee
	// of nothing is refused (the request is free).
	EffectFee = "disclosure.fee"
)

// The names the item's definition shares with these effects.
const (
	// ObjectionNoticeKind is the document kind that tells an objecting third party in writing of the
	// decision to disclose (政府信息公开条例 art. 32).
	ObjectionNoticeKind = "disclosure_objection_notice"
	// FieldThirdPartyObjects is the case field the record of the third party's answer sets true when
	// it objects.
	FieldThirdPartyObjects = "third_party_objects"
	// FieldOutcome is the case field that holds the outcome, a Code of Outcomes.
	FieldOutcome = "outcome"
)

// ReceivedEffect is EffectReceived.
func ReceivedEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	values, _ := c.Data[item.Form].(map[string]any)
	r := Request{CaseID: c.ID, Jurisdiction: c.Jurisdiction, Channel: "online"}
	r.ApplicantType, _ = values["applicant_type"].(string)
	keyField := "credit_code"
	if r.ApplicantType == "natural" {
		keyField = "id_number"
	}
	r.ApplicantKey, _ = values[keyField].(string)
	if r.ApplicantKey == "" {
		return fmt.Errorf("disclosure request of case %d: the application has no %s", c.ID, keyField)
	}
	on := calendar.DateOf(c.CreatedAt)
	if ch, ok := c.Fields["channel"].(string); ok && ch != "" {
		r.Channel = ch
	}
	if s, ok := c.Fields[catalog.ReceivedOnField].(string); ok && s != "" {
		d, err := calendar.ParseDate(s)
		if err != nil {
			return fmt.Errorf("disclosure request of case %d: received on %w", c.ID, err)
		}
		on = d
	}
	// What the item's letters print: the day of receipt, as documents write dates.
	c.Fields[catalog.ReceivedOnField] = on.String()
	c.Fields["received_date"] = fmt.Sprintf("%d年%d月%d日", on.Year(), int(on.Month()), on.Day())
	return Received(ctx, tx, r, on)
}

// errObjection refuses to disclose over a third party's objection before it was told in writing.
var errObjection = problem.New(problem.Conflict, "third_party_not_told",
	"第三方不同意公开：决定公开前须先书面告知第三方（出具《第三方意见告知书》），方可作出公开答复。",
	"The third party objects: tell it in writing of the decision to disclose (issue the objection notice) before the reply discloses.")

// ClosedEffect is EffectClosed.
func ClosedEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	outcome, _ := c.Fields[FieldOutcome].(string)
	o, ok := OutcomeByCode(outcome)
	if !ok {
		return fmt.Errorf("case %d (%s): the field outcome %q is no outcome of the annual report", c.ID, item.Code, outcome)
	}
	if objects, _ := c.Fields[FieldThirdPartyObjects].(bool); objects && o.Group <= 2 {
		n, err := tx.NewSelect().Model((*workflow.Document)(nil)).
			Where("case_id = ? AND kind = ? AND status = ?", c.ID, ObjectionNoticeKind, workflow.DocumentValid).Count(ctx)
		if err != nil {
			return fmt.Errorf("reading the objection notices of case %d: %w", c.ID, err)
		}
		if n == 0 {
			return errObjection
		}
	}
	c.Fields["outcome_name"] = o.Name // for the reply letter
	return Closed(ctx, tx, c.ID, outcome, calendar.DateOf(c.UpdatedAt))
}

// errNoFee refuses a fee notice for a request that costs nothing.
var errNoFee = &problem.Error{Kind: problem.Conflict, Code: "no_fee",
	Message: problem.Text{ZH: "按规定该申请不收费，无需发出收费通知。", EN: "By the rules this request is free: no fee notice is due."},
	Fields: []problem.Field{{Path: "fields.fee_method", Code: "no_fee", Message: problem.Text{
		ZH: "按此方式计算不收费（当月前10件申请、或30页以下均免费）。",
		EN: "Counted this way the request is free (the first 10 requests of a month, or up to 30 pages)."}}}}

// FeeEffect is EffectFee.
func FeeEffect(ctx context.Context, tx bun.Tx, c *workflow.Case, item *catalog.Item) error {
	method, _ := c.Fields["fee_method"].(string)
	var n int
	var basis string
	switch method {
	case FeePerRequest:
		rank, err := RequestRank(ctx, tx, c.ID)
		if err != nil {
			return err
		}
		n, basis = rank, fmt.Sprintf("按件计收：本申请为申请人当月第%d件申请", rank)
	case FeePerPage:
		n = intOf(c.Fields["pages"])
		basis = fmt.Sprintf("按量计收：所提供信息共%d页", n)
	}
	fen, err := Fee(method, n)
	if err != nil {
		return fmt.Errorf("case %d (%s): %w", c.ID, item.Code, err)
	}
	if fen == 0 {
		return errNoFee
	}
	c.Fields["fee_amount"], c.Fields["fee_basis"] = fen, basis
	c.Fields["fee_yuan"] = strconv.FormatInt(fen/yuan, 10)
	return nil
}

// intOf reads a whole number from a case field: an int as validated, a float64 as read back.
func intOf(v any) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	}
	return 0
}
