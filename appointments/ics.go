package appointments

import (
	"context"
	"fmt"
	"strings"

	ics "github.com/arran4/golang-ical"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
)

// ICS returns one of the actor's bookings as an iCalendar file (RFC 5545, CRLF line ends, lines
// folded at 75 octets), for the phone's calendar: the time in UTC, the office and its address, the
// confirmation code and what to bring from the guide of the service's item. A cancelled booking
// gives a cancelled event, so that a calendar that imported it updates it.
func (d *Desk) ICS(ctx context.Context, actor audit.Actor, id int64) ([]byte, error) {
	b, err := d.ownBooking(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	o, err := d.Office(ctx, b.OfficeID)
	if err != nil {
		return nil, err
	}
	day, err := calendar.ParseDate(b.Day)
	if err != nil {
		return nil, fmt.Errorf("booking %d: %w", b.ID, err)
	}
	cal := ics.NewCalendar()
	cal.SetProductId("-//CivicFlow//Marriage registration appointments//ZH")
	cal.SetMethod(ics.MethodPublish)
	ev := cal.AddEvent(b.Code + "@civicflow")
	ev.SetDtStampTime(b.UpdatedAt)
	ev.SetStartAt(at(day, b.Start))
	ev.SetEndAt(at(day, b.End))
	ev.SetSummary(b.Service.Label("zh-CN") + "（" + o.Name.ZH + "）")
	ev.SetLocation(o.Name.ZH + "，" + o.Address.ZH)
	ev.SetDescription(d.icsDescription(b, o))
	if b.Status == StatusCancelled {
		ev.SetStatus(ics.ObjectStatusCancelled)
	} else {
		ev.SetStatus(ics.ObjectStatusConfirmed)
	}
	return []byte(cal.Serialize(ics.WithNewLineWindows)), nil
}

// icsDescription is the event's text: the code, the office's phone and the materials to bring.
func (d *Desk) icsDescription(b *Booking, o *Office) string {
	lines := []string{"预约码 / Code: " + b.Code, "请双方本人携带身份证到场。Both of you must come in person with your ID cards."}
	if o.Phone != "" {
		lines = append(lines, "电话 / Phone: "+o.Phone)
	}
	if item, ok := d.ItemFor(b.Service); ok && len(item.Materials) > 0 {
		var names []string
		for _, m := range item.Materials {
			names = append(names, m.Name.ZH)
		}
		lines = append(lines, "请携带 / Bring: "+strings.Join(names, "；"))
	}
	return strings.Join(lines, "\n")
}
