package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3filter"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/appointments"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
	"github.com/civicflow/civicflow/idempotency"
	"github.com/civicflow/civicflow/lang"
	"github.com/civicflow/civicflow/stacktest"
	"github.com/civicflow/civicflow/workflow"
)

func init() {
	// The iCalendar file of a booking is the API's one text/calendar answer.
	openapi3filter.RegisterBodyDecoder("text/calendar", openapi3filter.PlainBodyDecoder)
}

// personID builds a valid 18-character resident ID number from a division code, a birth date
// (YYYYMMDD) and a 3-digit sequence (odd for a man, even for a woman), adding the check character.
func personID(t *testing.T, division, birth, seq string) string {
	t.Helper()
	return idNumber(t, division+birth+seq)
}

// officeBody is a registration office of Heping District, Shenyang, open 09:00–10:00 in slots of 30
// minutes with one seat per slot for marriages and divorces: small enough to fill in a test.
func officeBody(name string) map[string]any {
	return map[string]any{"jurisdiction": "210102", "name": map[string]string{"zh": name, "en": "Heping Registry"},
		"address": map[string]string{"zh": "和平区南京北街1号", "en": "1 Nanjing North St"}, "phone": "024-12345678",
		"capacity": map[string]int{"marriage": 1, "divorce": 1}, "sessions": []map[string]string{{"start": "09:00", "end": "10:00"}},
		"slot_minutes": 30, "rules": map[string]int{}, "active": true}
}

// bookableDays returns n days of the office's booking window, open with free seats, on which a
// booking may still be moved or cancelled (at least three days ahead).
func (st *site) bookableDays(officeID int64, service string, n int) []string {
	st.t.Helper()
	var out struct{ Days []appointments.DayFree }
	if code := st.api("GET", fmt.Sprintf("/api/v1/offices/%d/days?service=%s", officeID, service), "", nil, &out); code != http.StatusOK {
		st.t.Fatalf("bookable days: %d", code)
	}
	today := calendar.DateOf(st.clock.Now())
	var days []string
	for _, d := range out.Days {
		day, err := calendar.ParseDate(d.Day)
		if err != nil {
			st.t.Fatal(err)
		}
		if d.Open && d.Free > 0 && day.Sub(today) >= 3 && len(days) < n {
			days = append(days, d.Day)
		}
	}
	if len(days) < n {
		st.t.Fatalf("only %d bookable days in %+v", len(days), out.Days)
	}
	return days
}

// atOffice sets the desk's clock to a time of day of a day in China.
func (st *site) atOffice(day, clock string) {
	st.t.Helper()
	d, err := calendar.ParseDate(day)
	if err != nil {
		st.t.Fatal(err)
	}
	hm, err := time.Parse("15:04", clock)
	if err != nil {
		st.t.Fatal(err)
	}
	st.clock.Set(d.Time().Add(time.Duration(hm.Hour())*time.Hour + time.Duration(hm.Minute())*time.Minute))
}

// appointmentsContract exercises every appointment operation of the API against the document:
// offices, public slots, bookings with their errors, the day sheet, check-in and opening the case.
func appointmentsContract(t *testing.T, k *contract, st *site, admin, citizen, dalian string) {
	st.user("appt.clerk", "acceptor@2101*")
	st.user("appt.dlclerk", "acceptor@2102*")
	st.user("appt.bride", "citizen")
	clerk, dlClerk, bride := st.token("appt.clerk"), st.token("appt.dlclerk"), st.token("appt.bride")
	groom := personID(t, "210102", "19900101", "001")
	brideID := personID(t, "210102", "19920202", "002")
	other := personID(t, "210102", "19910303", "003")
	otherPartner := personID(t, "210102", "19930404", "004")

	// Offices: admins of the jurisdiction only.
	var office appointments.Office
	k.do(call{method: "POST", path: "/api/v1/offices", token: admin, valid: true, body: officeBody("和平区婚姻登记处"), out: &office}, 201)
	if office.ID == 0 || office.Rules.MaxDaysAhead != 30 || office.Capacity[appointments.Marriage] != 1 {
		t.Fatalf("created office: %+v", office)
	}
	bad := officeBody("坏登记处")
	bad["slot_minutes"], bad["sessions"] = 1, []map[string]string{{"start": "10:00", "end": "09:00"}}
	e := k.fails(call{method: "POST", path: "/api/v1/offices", token: admin, valid: true, body: bad}, 422, "invalid_input")
	if !e.hasField("slot_minutes", "out_of_range") {
		t.Errorf("bad office: %+v", e)
	}
	k.fails(call{method: "POST", path: "/api/v1/offices", token: dalian, body: officeBody("越权")}, 403, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/offices", token: citizen, body: officeBody("越权")}, 403, "forbidden")
	officePath := "/api/v1/offices/" + strconv.FormatInt(office.ID, 10)
	changed := officeBody("和平区婚姻登记处")
	changed["phone"] = "024-87654321"
	k.do(call{method: "PUT", path: officePath, token: admin, valid: true, body: changed, out: &office}, 200)
	if office.Phone != "024-87654321" {
		t.Errorf("updated office: %+v", office)
	}
	k.fails(call{method: "PUT", path: officePath, token: dalian, body: changed}, 403, "forbidden")
	k.fails(call{method: "PUT", path: "/api/v1/offices/999999", token: admin, body: changed}, 404, "not_found")
	var list struct{ Offices []appointments.Office }
	k.do(call{method: "GET", path: "/api/v1/offices", valid: true, out: &list}, 200)
	if len(list.Offices) != 1 || list.Offices[0].ID != office.ID {
		t.Errorf("public office list: %+v", list)
	}
	k.do(call{method: "GET", path: officePath, valid: true}, 200)
	k.fails(call{method: "GET", path: "/api/v1/offices/999999"}, 404, "not_found")

	// Free slots and days need no login, and may be cached briefly.
	days := st.bookableDays(office.ID, "marriage", 2)
	var hdr http.Header
	var slots appointments.DaySlots
	k.do(call{method: "GET", path: officePath + "/slots?service=marriage&day=" + days[0], valid: true, out: &slots, respHeader: &hdr}, 200)
	if !slots.Open || len(slots.Slots) != 2 || slots.Slots[0].Free != 1 || !slots.Slots[0].Bookable || !slots.ChangeableOnline {
		t.Errorf("slots: %+v", slots)
	}
	if hdr.Get("Cache-Control") != "public, max-age=5" {
		t.Errorf("slots Cache-Control %q", hdr.Get("Cache-Control"))
	}
	k.fails(call{method: "GET", path: officePath + "/slots?service=marriage&day=soon"}, 422, "invalid_input")
	k.fails(call{method: "GET", path: "/api/v1/offices/999999/slots?service=marriage&day=" + days[0]}, 404, "not_found")
	k.do(call{method: "GET", path: officePath + "/days?service=marriage", valid: true, respHeader: &hdr}, 200)
	if hdr.Get("Cache-Control") != "public, max-age=5" {
		t.Errorf("days Cache-Control %q", hdr.Get("Cache-Control"))
	}
	k.fails(call{method: "GET", path: officePath + "/days?service=divorce&case=1"}, 401, "login_required")
	k.fails(call{method: "GET", path: officePath + "/slots?service=divorce&day=" + days[0] + "&case=1"}, 401, "login_required")
	k.fails(call{method: "GET", path: officePath + "/days?service=replacement"}, 422, "invalid_input")

	// Closures and extra openings.
	k.do(call{method: "POST", path: officePath + "/days", token: admin, valid: true,
		body: map[string]any{"day": days[1], "kind": "closed", "note": "停电"}}, 200)
	k.do(call{method: "GET", path: officePath + "/slots?service=marriage&day=" + days[1], valid: true, out: &slots}, 200)
	if slots.Open {
		t.Errorf("a closed day is open: %+v", slots)
	}
	k.fails(call{method: "POST", path: officePath + "/days", token: admin, body: map[string]any{"day": days[1], "kind": "sometimes"}}, 422, "invalid_input")
	k.fails(call{method: "POST", path: officePath + "/days", token: dalian, body: map[string]any{"day": days[1], "kind": "closed"}}, 403, "forbidden")
	k.do(call{method: "DELETE", path: officePath + "/days?day=" + days[1], token: admin}, 204)
	k.fails(call{method: "DELETE", path: officePath + "/days?day=" + days[1], token: admin}, 404, "not_found")
	k.fails(call{method: "DELETE", path: officePath + "/days?day=" + days[1], token: dalian}, 403, "forbidden")

	// Booking: errors on the fields, a full slot, one active booking per person.
	booking := map[string]any{"office_id": office.ID, "service": "marriage", "day": days[0], "start": "09:00",
		"booker_name": "周伟", "booker_id_number": groom, "partner_name": "李娜", "partner_id_number": brideID, "phone": "13800000000"}
	wrong := map[string]any{}
	for k, v := range booking {
		wrong[k] = v
	}
	wrong["partner_id_number"] = wrongCheck(brideID)
	e = k.fails(call{method: "POST", path: "/api/v1/bookings", token: citizen, valid: true, body: wrong}, 422, "invalid_input")
	if len(e.Error.Fields) == 0 || e.Error.Fields[0].Path != "partner_id_number" {
		t.Errorf("wrong check character: %+v", e)
	}
	k.fails(call{method: "POST", path: "/api/v1/bookings", body: booking}, 401, "login_required")
	k.fails(call{method: "POST", path: "/api/v1/bookings", token: clerk, body: booking}, 403, "forbidden")
	var b appointments.Booking
	k.do(call{method: "POST", path: "/api/v1/bookings", token: citizen, valid: true, body: booking, out: &b}, 201)
	if b.Code == "" || b.Status != appointments.StatusBooked || b.End != "09:30" {
		t.Fatalf("booking: %+v", b)
	}
	full := map[string]any{}
	for k, v := range booking {
		full[k] = v
	}
	full["booker_id_number"], full["partner_id_number"], full["booker_name"] = other, otherPartner, "孙丽"
	k.fails(call{method: "POST", path: "/api/v1/bookings", token: bride, valid: true, body: full}, 409, "slot_full")
	// Naming the same partner is no claim on her; a second active booking of the account is refused.
	full["start"] = "09:30"
	full["partner_id_number"] = brideID
	k.fails(call{method: "POST", path: "/api/v1/bookings", token: citizen, valid: true, body: full}, 409, "already_booked")

	bookingPath := "/api/v1/bookings/" + strconv.FormatInt(b.ID, 10)
	var mine struct{ Bookings []appointments.Booking }
	k.do(call{method: "GET", path: "/api/v1/bookings", token: citizen, valid: true, out: &mine}, 200)
	if len(mine.Bookings) != 1 || mine.Bookings[0].ID != b.ID {
		t.Errorf("my bookings: %+v", mine)
	}
	k.fails(call{method: "GET", path: "/api/v1/bookings"}, 401, "login_required")
	k.do(call{method: "GET", path: bookingPath, token: citizen, valid: true}, 200)
	k.do(call{method: "GET", path: bookingPath, token: clerk, valid: true}, 200)
	k.fails(call{method: "GET", path: bookingPath, token: bride}, 404, "not_found")
	ics := k.do(call{method: "GET", path: bookingPath + "/calendar.ics", token: citizen, valid: true, respHeader: &hdr}, 200)
	if !strings.HasPrefix(hdr.Get("Content-Type"), "text/calendar") || !strings.HasPrefix(hdr.Get("Content-Disposition"), "attachment") ||
		!strings.Contains(string(ics), "BEGIN:VCALENDAR") {
		t.Errorf("ics: %v %s", hdr, ics)
	}
	k.fails(call{method: "GET", path: bookingPath + "/calendar.ics", token: bride}, 404, "not_found")
	var ban struct{ Ban *appointments.Ban }
	k.do(call{method: "GET", path: "/api/v1/me/ban", token: citizen, valid: true, out: &ban}, 200)
	if ban.Ban != nil {
		t.Errorf("a ban without reason: %+v", ban.Ban)
	}

	// Move and cancel, before the cut-off only.
	k.do(call{method: "POST", path: bookingPath + "/move", token: citizen, valid: true, body: map[string]string{"day": days[0], "start": "09:30"}, out: &b}, 200)
	if b.Start != "09:30" {
		t.Errorf("moved booking: %+v", b)
	}
	e = k.fails(call{method: "POST", path: bookingPath + "/move", token: citizen, valid: true, body: map[string]string{"day": "2000-01-01", "start": "09:00"}}, 422, "invalid_input")
	if !e.hasField("day", "outside_window") {
		t.Errorf("move into the past: %+v", e)
	}
	k.fails(call{method: "POST", path: bookingPath + "/move", token: bride, body: map[string]string{"day": days[0], "start": "09:00"}}, 404, "not_found")
	k.fails(call{method: "POST", path: bookingPath + "/cancel", token: bride}, 404, "not_found")
	st.atOffice(days[0], "08:00") // the day itself: too late to change
	k.fails(call{method: "POST", path: bookingPath + "/cancel", token: citizen}, 409, "too_late_to_change")
	k.fails(call{method: "POST", path: bookingPath + "/move", token: citizen, body: map[string]string{"day": days[1], "start": "09:00"}}, 409, "too_late_to_change")

	// At the window on the day: the day sheet, check-in with the right people, the case.
	sheetPath := officePath + "/day-sheet?day=" + days[0]
	var sheet appointments.DaySheet
	k.do(call{method: "GET", path: sheetPath, token: clerk, valid: true, out: &sheet}, 200)
	if len(sheet.Lines) != 1 || sheet.Lines[0].Code != b.Code || sheet.Lines[0].Session != 0 {
		t.Errorf("day sheet: %+v", sheet)
	}
	k.fails(call{method: "GET", path: sheetPath, token: citizen}, 403, "forbidden")
	k.fails(call{method: "GET", path: sheetPath, token: dlClerk}, 403, "forbidden")
	k.fails(call{method: "GET", path: officePath + "/day-sheet?day=today", token: clerk}, 422, "invalid_input")
	checkIn := officePath + "/check-in"
	k.fails(call{method: "POST", path: checkIn, token: clerk, valid: true,
		body: map[string]any{"code": b.Code, "present": []string{groom, other}, "service": "marriage"}}, 409, "people_mismatch")
	k.fails(call{method: "POST", path: checkIn, token: dlClerk, body: map[string]any{"code": b.Code, "present": []string{groom, brideID}, "service": "marriage"}}, 403, "forbidden")
	k.fails(call{method: "POST", path: checkIn, token: clerk, body: map[string]any{"present": []string{groom, brideID}, "service": "marriage"}}, 422, "invalid_input")
	k.fails(call{method: "POST", path: checkIn, token: clerk, body: map[string]any{"code": "NOPE0000", "present": []string{groom, brideID}, "service": "marriage"}}, 404, "not_found")
	k.fails(call{method: "POST", path: bookingPath + "/open-case", token: clerk}, 409, "not_checked_in")
	k.do(call{method: "POST", path: checkIn, token: clerk, valid: true,
		body: map[string]any{"id_number": brideID, "present": []string{brideID, groom}, "service": "marriage"}, out: &b}, 200)
	if b.Status != appointments.StatusCheckedIn {
		t.Errorf("checked in: %+v", b)
	}
	k.fails(call{method: "POST", path: bookingPath + "/open-case", token: dlClerk}, 403, "forbidden")
	k.fails(call{method: "POST", path: "/api/v1/bookings/999999/open-case", token: clerk}, 404, "not_found")
	var cs struct {
		ID          int64
		ItemCode    string `json:"item_code"`
		ApplicantID int64  `json:"applicant_id"`
	}
	k.do(call{method: "POST", path: bookingPath + "/open-case", token: clerk, out: &cs}, 201)
	if cs.ID == 0 || cs.ItemCode != "marriage-registration" {
		t.Errorf("opened case: %+v", cs)
	}
	k.fails(call{method: "POST", path: bookingPath + "/open-case", token: clerk}, 409, "case_open")
	st.clock.Set(time.Now())
}

// page fetches a page with a browser and fails the test unless it answers want.
func (b *browser) page(path string, want int) (string, string) {
	b.st.t.Helper()
	code, body, token := b.get(path)
	if code != want {
		b.st.t.Fatalf("GET %s: %d, want %d\n%s", path, code, want, body)
	}
	return body, token
}

var bookingLink = regexp.MustCompile(`href="(/appointments/book\?[^"]+)"`)

// Admins set offices up, anybody sees the free slots, citizens book, view, move and cancel on the
// pages, and the office checks people in from its day sheet and opens the case.
func TestAppointmentPages(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		adminID := st.user("appt.admin", "admin@21*")
		st.user("appt.clerk", "acceptor@2101*")
		st.user("appt.dlclerk", "acceptor@2102*")
		st.user("appt.groom", "citizen")
		st.user("appt.late", "citizen")
		groom := personID(t, "210102", "19900101", "001")
		bride := personID(t, "210102", "19920202", "002")

		// The admin creates an office on the page; a wrong number is shown on its field.
		admin := st.browser()
		admin.login("appt.admin")
		body, token := admin.page("/admin/offices", http.StatusOK)
		if !strings.Contains(body, `name="rules.ban_days"`) || !strings.Contains(body, "09:00-11:30") {
			t.Fatalf("new office form: %s", body)
		}
		form := url.Values{"_csrf": {token}, "jurisdiction": {"210102"}, "name.zh": {"和平区婚姻登记处"}, "name.en": {"Heping Registry"},
			"address.zh": {"和平区南京北街1号"}, "address.en": {"1 Nanjing North St"}, "phone": {"024-12345678"},
			"capacity.marriage": {"1"}, "capacity.divorce": {"1"}, "sessions": {"09:00-10:00"}, "slot_minutes": {"x"}, "active": {"1"}}
		resp, body := admin.post("/admin/offices", form)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "请填写整数") || !strings.Contains(body, `value="和平区婚姻登记处"`) {
			t.Fatalf("office with a bad slot length: %d %s", resp.StatusCode, body)
		}
		form.Set("slot_minutes", "30")
		resp, _ = admin.post("/admin/offices", form)
		loc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/offices/") {
			t.Fatalf("creating the office: %d %s", resp.StatusCode, loc)
		}
		officeID, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(loc, "?")[0], "/admin/offices/"), 10, 64)
		body, token = admin.page(loc, http.StatusOK)
		if !strings.Contains(body, "已保存") || !strings.Contains(body, `value="Heping Registry"`) {
			t.Errorf("office page after creating: %s", body)
		}
		days := st.bookableDays(officeID, "marriage", 2)
		// A refused day keeps what was typed there, and the office's settings beside it.
		resp, body = admin.post(fmt.Sprintf("/admin/offices/%d/days", officeID), url.Values{"_csrf": {token}, "day": {days[1]}, "kind": {"open"},
			"day_sessions": {"14:30-14:00"}, "note": {"加开"}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="加开"`) || !strings.Contains(body, `value="Heping Registry"`) {
			t.Errorf("a refused extra opening: %d %s", resp.StatusCode, body)
		}
		// An extra opening: the office opens one more session on the second day.
		resp, _ = admin.post(fmt.Sprintf("/admin/offices/%d/days", officeID), url.Values{"_csrf": {token}, "day": {days[1]}, "kind": {"open"},
			"day_sessions": {"09:00-10:00\n14:00-14:30"}, "note": {"加开"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("extra opening: %d", resp.StatusCode)
		}
		body, token = admin.page(fmt.Sprintf("/admin/offices/%d", officeID), http.StatusOK)
		if !strings.Contains(body, "14:00–14:30") {
			t.Errorf("the extra session is not listed: %s", body)
		}
		resp, _ = admin.post(fmt.Sprintf("/admin/offices/%d/days/remove", officeID), url.Values{"_csrf": {token}, "day": {days[1]}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Errorf("removing the extra opening: %d", resp.StatusCode)
		}

		// Anybody sees the offices and the free slots, without logging in; the guide leads there.
		visitor := st.browser()
		body, _ = visitor.page("/catalog/marriage-registration", http.StatusOK)
		if !strings.Contains(body, `href="/appointments?service=marriage"`) || strings.Contains(body, "/catalog/marriage-registration/apply") {
			t.Errorf("the guide of a booked item does not lead to the booking: %s", body)
		}
		body, _ = visitor.page("/appointments", http.StatusOK)
		if !strings.Contains(body, "和平区婚姻登记处") || !strings.Contains(body, fmt.Sprintf("/appointments/offices/%d?service=marriage", officeID)) {
			t.Fatalf("appointments page: %s", body)
		}
		resp, err := visitor.c.Get(st.base + fmt.Sprintf("/appointments/offices/%d?service=marriage&day=%s", officeID, days[0]))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Cache-Control") != "private, max-age=5" {
			t.Errorf("visitor's slots page: %d %q", resp.StatusCode, resp.Header.Get("Cache-Control"))
		}
		body, _ = visitor.page(fmt.Sprintf("/appointments/offices/%d?service=marriage&day=%s", officeID, days[0]), http.StatusOK)
		links := bookingLink.FindAllStringSubmatch(body, -1)
		if len(links) != 2 || !strings.Contains(body, "双方的居民身份证") {
			t.Fatalf("slots page: %d links\n%s", len(links), body)
		}
		first := strings.ReplaceAll(links[0][1], "&amp;", "&")
		resp, _ = visitor.post("/appointments/book", url.Values{})
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a visitor's booking: %d", resp.StatusCode)
		}
		if code, _, _ := visitor.get(first); code != http.StatusSeeOther {
			t.Errorf("the booking form without logging in: %d", code)
		}

		// The citizen books on the page: field errors first, then the booking.
		citizen := st.browser()
		citizen.login("appt.groom")
		body, token = citizen.page(first, http.StatusOK)
		if !strings.Contains(body, `name="booker_id_number"`) || !strings.Contains(body, days[0]) {
			t.Fatalf("booking form: %s", body)
		}
		fields := func(start string) url.Values {
			return url.Values{"_csrf": {token}, "office_id": {strconv.FormatInt(officeID, 10)}, "service": {"marriage"}, "day": {days[0]},
				"start": {start}, "booker_name": {"周伟"}, "booker_id_number": {groom}, "partner_name": {"李娜"},
				"partner_id_number": {bride}, "phone": {"13800000000"}}
		}
		wrong := fields("09:00")
		wrong.Set("partner_id_number", groom)
		resp, body = citizen.post("/appointments/book", wrong)
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="partner_id_number-error"`) || !strings.Contains(body, `value="周伟"`) {
			t.Fatalf("the same person twice: %d %s", resp.StatusCode, body)
		}
		resp, _ = citizen.post("/appointments/book", fields("09:00"))
		loc = resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/appointments/mine/") {
			t.Fatalf("booking: %d %s", resp.StatusCode, loc)
		}
		bookingID, _ := strconv.ParseInt(strings.TrimPrefix(strings.Split(loc, "?")[0], "/appointments/mine/"), 10, 64)
		body, token = citizen.page(loc, http.StatusOK)
		var b appointments.Booking
		if code := st.api("GET", fmt.Sprintf("/api/v1/bookings/%d", bookingID), st.token("appt.groom"), nil, &b); code != http.StatusOK {
			t.Fatalf("reading the booking: %d", code)
		}
		if !strings.Contains(body, `id="booking-code">`+b.Code) || strings.Contains(body, groom) || !strings.Contains(body, groom[14:]) {
			t.Errorf("booking page: code %s, ID numbers masked?\n%s", b.Code, body)
		}
		if !strings.Contains(body, "calendar.ics") || !strings.Contains(body, `action="/appointments/mine/`+strconv.FormatInt(bookingID, 10)+`/cancel"`) {
			t.Errorf("booking page without the calendar link or the cancel form: %s", body)
		}
		body, _ = citizen.page("/appointments/mine", http.StatusOK)
		if !strings.Contains(body, b.Code) {
			t.Errorf("my bookings: %s", body)
		}
		resp, err = citizen.c.Get(st.base + loc[:strings.Index(loc, "?")] + "/calendar.ics")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "text/calendar; charset=utf-8" ||
			!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
			t.Errorf("ics: %d %v", resp.StatusCode, resp.Header)
		}

		// Another citizen finds the slot full: a clear message on the form, not an error page.
		late := st.browser()
		late.login("appt.late")
		_, token = late.page(first, http.StatusOK)
		lateFields := fields("09:00")
		lateFields.Set("_csrf", token)
		lateFields.Set("booker_id_number", personID(t, "210102", "19880505", "005"))
		lateFields.Set("partner_id_number", personID(t, "210102", "19890606", "006"))
		resp, body = late.post("/appointments/book", lateFields)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "该时段已约满") || !strings.Contains(body, `name="booker_name"`) {
			t.Errorf("a full slot: %d %s", resp.StatusCode, body)
		}

		// Move to the other slot, then try to cancel without ticking the box.
		bookingPage := fmt.Sprintf("/appointments/mine/%d", bookingID)
		body, token = citizen.page(bookingPage+"?day="+days[0], http.StatusOK)
		if !strings.Contains(body, `value="09:30"`) {
			t.Errorf("the move form offers no 09:30: %s", body)
		}
		resp, _ = citizen.post(bookingPage+"/move", url.Values{"_csrf": {token}, "day": {days[0]}, "start": {"09:30"}})
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("moving: %d", resp.StatusCode)
		}
		resp, body = citizen.post(bookingPage+"/cancel", url.Values{"_csrf": {token}})
		if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="confirm-error"`) {
			t.Errorf("cancelling unconfirmed: %d", resp.StatusCode)
		}

		// The office on the day: the day sheet, a refused check-in, the check-in, the case.
		st.atOffice(days[0], "09:05")
		clerk := st.browser()
		clerk.login("appt.clerk")
		sheetPage := fmt.Sprintf("/office/%d/day?day=%s", officeID, days[0])
		body, token = clerk.page(sheetPage, http.StatusOK)
		if !strings.Contains(body, b.Code) || !strings.Contains(body, "09:30–10:00") || !strings.Contains(body, "data-print") {
			t.Fatalf("day sheet: %s", body)
		}
		checkIn := url.Values{"_csrf": {token}, "day": {days[0]}, "code": {b.Code}, "present": {groom, personID(t, "210102", "19700101", "002")}, "service": {"marriage"}}
		resp, body = clerk.post(fmt.Sprintf("/office/%d/check-in", officeID), checkIn)
		if resp.StatusCode != http.StatusConflict || !strings.Contains(body, "到场人员与预约人员不符") || !strings.Contains(body, `value="`+groom+`"`) {
			t.Fatalf("check-in of the wrong people: %d %s", resp.StatusCode, body)
		}
		checkIn["present"] = []string{groom, bride}
		resp, _ = clerk.post(fmt.Sprintf("/office/%d/check-in", officeID), checkIn)
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("check-in: %d", resp.StatusCode)
		}
		body, token = clerk.page(resp.Header.Get("Location"), http.StatusOK)
		openCase := fmt.Sprintf("/office/bookings/%d/open-case", bookingID)
		if !strings.Contains(body, "已签到") || !strings.Contains(body, `action="`+openCase+`"`) {
			t.Fatalf("day sheet after check-in: %s", body)
		}
		resp, _ = clerk.post(openCase, url.Values{"_csrf": {token}})
		caseLoc := resp.Header.Get("Location")
		if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(caseLoc, "/cases/") {
			t.Fatalf("opening the case: %d %s", resp.StatusCode, caseLoc)
		}
		body, _ = clerk.page(caseLoc, http.StatusOK)
		if !strings.Contains(body, "结婚登记") {
			t.Errorf("case page: %s", body)
		}
		// Closing the day afterwards keeps its bookings on the sheet, apart.
		closed := appointments.OfficeDay{Day: days[0], Kind: appointments.DayClosed, Note: "停电"}
		if _, err := st.desk.SetDay(context.Background(), audit.Actor{UserID: adminID, Label: "appt.admin"}, officeID, closed); err != nil {
			t.Fatal(err)
		}
		body, _ = clerk.page(sheetPage, http.StatusOK)
		if !strings.Contains(body, "不在当日开放时段内的预约") || !strings.Contains(body, b.Code) {
			t.Errorf("day sheet of a day closed after booking: %s", body)
		}

		// Nobody else reads the day sheet: a citizen lacks the permission, a clerk of Dalian the jurisdiction.
		if code, _, _ := citizen.get(sheetPage); code != http.StatusForbidden {
			t.Errorf("a citizen's day sheet: %d", code)
		}
		dl := st.browser()
		dl.login("appt.dlclerk")
		if code, _, _ := dl.get(sheetPage); code != http.StatusForbidden {
			t.Errorf("Dalian's day sheet of Heping: %d", code)
		}
		st.clock.Set(time.Now())
	})
}

// hepingOffice creates, as admin, an office of Heping District open 09:00–11:30 in slots of 30
// minutes with two seats for the service.
func (st *site) hepingOffice(admin audit.Actor, service appointments.Service) *appointments.Office {
	st.t.Helper()
	office, err := st.desk.CreateOffice(context.Background(), admin, appointments.OfficeInput{Jurisdiction: "210102",
		Name: lang.Text{ZH: "和平区婚姻登记处"}, Address: lang.Text{ZH: "南京北街1号"}, Phone: "024-12345678",
		Capacity: map[appointments.Service]int{service: 2}, SlotMinutes: 30, Active: true,
		Sessions: []appointments.Session{{Start: "09:00", End: "11:30"}}})
	if err != nil {
		st.t.Fatal(err)
	}
	return office
}

// A day within the change cut-off (tomorrow, with a cut-off of 2 days) is offered with a warning,
// before booking: on the day list, above its times and on the booking form, and in the API's days
// and slots as changeable_online false; a later day has none.
func TestFinalDaysAreSaidBeforeBooking(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		admin := audit.Actor{UserID: st.user("final.admin", "admin@21*"), Label: "final.admin"}
		st.user("final.citizen", "citizen")
		office := st.hepingOffice(admin, appointments.Marriage)
		tomorrow := calendar.DateOf(st.clock.Now()).AddDays(1).String()
		if _, err := st.desk.SetDay(ctx, admin, office.ID, appointments.OfficeDay{Day: tomorrow, Kind: appointments.DayOpen}); err != nil {
			t.Fatal(err)
		}
		later := st.bookableDays(office.ID, "marriage", 1)[0]
		var days struct{ Days []appointments.DayFree }
		if code := st.api("GET", fmt.Sprintf("/api/v1/offices/%d/days?service=marriage", office.ID), "", nil, &days); code != http.StatusOK {
			t.Fatalf("days: %d", code)
		}
		changeable := map[string]bool{}
		for _, d := range days.Days {
			changeable[d.Day] = d.ChangeableOnline
		}
		if changeable[tomorrow] || !changeable[later] {
			t.Errorf("changeable_online of tomorrow %v, of %s %v", changeable[tomorrow], later, changeable[later])
		}
		var slots appointments.DaySlots
		if code := st.api("GET", fmt.Sprintf("/api/v1/offices/%d/slots?service=marriage&day=%s", office.ID, tomorrow), "", nil, &slots); code != http.StatusOK ||
			slots.ChangeableOnline || !slots.Bookable {
			t.Errorf("tomorrow's slots: %d %+v", code, slots)
		}

		const note = "该日的预约一经成功，不能在网上改期或取消"
		visitor := st.browser()
		body, _ := visitor.page(fmt.Sprintf("/appointments/offices/%d?service=marriage&day=%s", office.ID, tomorrow), http.StatusOK)
		if !strings.Contains(body, note) || !strings.Contains(body, "约后不可网上改约") {
			t.Errorf("tomorrow's times say nothing of the cut-off: %s", body)
		}
		body, _ = visitor.page(fmt.Sprintf("/appointments/offices/%d?service=marriage&day=%s", office.ID, later), http.StatusOK)
		if strings.Contains(body, note) {
			t.Errorf("a later day's times warn of the cut-off: %s", body)
		}
		citizen := st.browser()
		citizen.login("final.citizen")
		for day, want := range map[string]bool{tomorrow: true, later: false} {
			body, _ := citizen.page(fmt.Sprintf("/appointments/book?office=%d&service=marriage&day=%s&start=09:00", office.ID, day), http.StatusOK)
			if strings.Contains(body, note) != want {
				t.Errorf("booking form of %s: the cut-off note shown %v, want %v\n%s", day, !want, want, body)
			}
		}
	})
}

// Two bookings name the same partner: the clerk's day sheet marks her on both, and says why.
func TestDaySheetMarksThePersonNamedTwice(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		admin := audit.Actor{UserID: st.user("same.admin", "admin@21*"), Label: "same.admin"}
		st.user("same.clerk", "acceptor@2101*")
		office := st.hepingOffice(admin, appointments.Marriage)
		day := st.bookableDays(office.ID, "marriage", 1)[0]
		bride := personID(t, "210102", "19920202", "002")
		for i, groom := range []string{personID(t, "210102", "19900101", "001"), personID(t, "210102", "19910101", "003")} {
			who := audit.Actor{UserID: st.user(fmt.Sprintf("same.groom%d", i), "citizen"), Label: "groom"}
			if _, err := st.desk.Book(ctx, who, appointments.BookingInput{OfficeID: office.ID, Service: appointments.Marriage, Day: day,
				Start: "09:00", BookerName: "张伟", BookerIDNumber: groom, PartnerName: "李娜", PartnerIDNumber: bride, Phone: "13800138000"}); err != nil {
				t.Fatal(err)
			}
		}
		clerk := st.browser()
		clerk.login("same.clerk")
		body, _ := clerk.page(fmt.Sprintf("/office/%d/day?day=%s", office.ID, day), http.StatusOK)
		if strings.Count(body, "另有1个预约填写了此人") != 2 || !strings.Contains(body, "请在窗口核验身份证件") {
			t.Errorf("the day sheet does not mark the person named twice: %s", body)
		}
	})
}

// A divorce case waiting for the couple's second visit invites its parties, and only them, to book it
// within the window on the case page.
func TestDivorceCasePageInvitesThePartiesToBook(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		admin := audit.Actor{UserID: st.user("dv.admin", "admin@21*"), Label: "dv.admin"}
		clerk := audit.Actor{UserID: st.user("dv.clerk", "acceptor@2101*"), Label: "dv.clerk"}
		wife := audit.Actor{UserID: st.user("dv.wife", "citizen"), Label: "dv.wife"}
		husband := audit.Actor{UserID: st.user("dv.husband", "citizen"), Label: "dv.husband"}
		st.user("dv.stranger", "citizen")
		office := st.hepingOffice(admin, appointments.Divorce)
		days, err := st.desk.BookableDays(ctx, office.ID, appointments.Divorce, 0, wife)
		if err != nil {
			t.Fatal(err)
		}
		day := ""
		for _, d := range days {
			if d.Open {
				day = d.Day
				break
			}
		}
		wifeID, husbandID := personID(t, "210102", "19900101", "002"), personID(t, "210102", "19880101", "001")
		if err := accounts.BindIDNumber(ctx, s.DB, husband.UserID, husbandID); err != nil {
			t.Fatal(err)
		}
		b, err := st.desk.Book(ctx, wife, appointments.BookingInput{OfficeID: office.ID, Service: appointments.Divorce, Day: day,
			Start: "09:00", BookerName: "王芳", BookerIDNumber: wifeID, PartnerName: "李强", PartnerIDNumber: husbandID, Phone: "13800138000"})
		if err != nil {
			t.Fatal(err)
		}
		st.atOffice(day, "09:05")
		if _, err := st.desk.CheckIn(ctx, clerk, office.ID, appointments.CheckInInput{Code: b.Code, Present: []string{wifeID, husbandID}}); err != nil {
			t.Fatal(err)
		}
		c, err := st.desk.OpenCase(ctx, clerk, b.ID)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.engine.Apply(ctx, clerk, c.ID, workflow.ApplyRequest{Action: "issue_receipt", ExpectedVersion: c.Version}); err != nil {
			t.Fatal(err)
		}
		checkReceipt(t, st, s, c.ID)
		// The cooling-off period is over: its timer is due now.
		if _, err := s.DB.NewUpdate().Table("timers").Set("due_at = ?", time.Now().UTC().Add(-time.Second)).
			Where("case_id = ? AND fired_at IS NULL", c.ID).Exec(ctx); err != nil {
			t.Fatal(err)
		}
		if n, err := st.engine.FireDueTimers(ctx, time.Now()); err != nil || n != 1 {
			t.Fatalf("fired %d timers: %v", n, err)
		}
		casePage := fmt.Sprintf("/cases/%d", c.ID)
		invite := fmt.Sprintf(`href="/appointments?service=divorce&amp;case=%d"`, c.ID)
		for _, login := range []string{"dv.wife", "dv.husband"} {
			br := st.browser()
			br.login(login)
			body, _ := br.page(casePage, http.StatusOK)
			if !strings.Contains(body, invite) || !strings.Contains(body, "确认窗口") {
				t.Errorf("%s sees no invitation to book the appearance: %s", login, body)
			}
		}
		// Following the invitation offers only the offices of the case's jurisdiction.
		if _, err := st.desk.CreateOffice(ctx, admin, appointments.OfficeInput{Jurisdiction: "210200",
			Name: lang.Text{ZH: "大连市婚姻登记处"}, Address: lang.Text{ZH: "中山路1号"}, Phone: "0411-12345678",
			Capacity: map[appointments.Service]int{appointments.Divorce: 2}, SlotMinutes: 30, Active: true,
			Sessions: []appointments.Session{{Start: "09:00", End: "11:30"}}}); err != nil {
			t.Fatal(err)
		}
		wifeBrowser := st.browser()
		wifeBrowser.login("dv.wife")
		body, _ := wifeBrowser.page(fmt.Sprintf("/appointments?service=divorce&case=%d", c.ID), http.StatusOK)
		if !strings.Contains(body, "和平区婚姻登记处") || strings.Contains(body, "大连市婚姻登记处") {
			t.Errorf("offices offered for the case's appearance: %s", body)
		}
		stranger := st.browser()
		stranger.login("dv.stranger")
		if code, _, _ := stranger.get(casePage); code != http.StatusNotFound {
			t.Errorf("a stranger's view of the case: %d", code)
		}
		st.clock.Set(time.Now())
	})
}

// Every refusal of a booking is on the form, with what was typed kept: a field's next to it, any
// other on top, whatever its kind.
func TestBookingFormShowsEveryRefusal(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		ctx := context.Background()
		admin := audit.Actor{UserID: st.user("refused.admin", "admin@21*"), Label: "refused.admin"}
		citizenID := st.user("refused.citizen", "citizen")
		// A one-time token that another form used already.
		const usedToken = "token-of-another-form-0123456789"
		if err := idempotency.Claim(ctx, s.DB, &idempotency.Key{UserID: citizenID, Key: usedToken, Request: "POST /catalog/:code/apply"},
			time.Now()); err != nil {
			t.Fatal(err)
		}
		office := st.hepingOffice(admin, appointments.Marriage)
		day := st.bookableDays(office.ID, "marriage", 1)[0]
		citizen := st.browser()
		citizen.login("refused.citizen")
		form := fmt.Sprintf("/appointments/book?office=%d&service=marriage&day=%s&start=09:00", office.ID, day)
		fields := func(token, groom, bride string) url.Values {
			return url.Values{"_csrf": {token}, "_once": {""}, "office_id": {strconv.FormatInt(office.ID, 10)}, "service": {"marriage"},
				"day": {day}, "start": {"09:00"}, "booker_name": {"周伟"}, "booker_id_number": {groom}, "partner_name": {"李娜"},
				"partner_id_number": {bride}, "phone": {"13800000000"}}
		}
		_, token := citizen.page(form, http.StatusOK)
		resp, _ := citizen.post("/appointments/book", fields(token, personID(t, "210102", "19900101", "001"), personID(t, "210102", "19920202", "002")))
		if resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("booking: %d", resp.StatusCode)
		}
		for name, tc := range map[string]struct {
			form url.Values
			want int
			says string
		}{
			"a second booking": {fields(token, personID(t, "210102", "19910101", "003"), personID(t, "210102", "19930303", "004")),
				http.StatusConflict, "您已有一个尚未办理的预约"},
			"a case that is not there": {func() url.Values {
				f := fields(token, personID(t, "210102", "19910101", "005"), personID(t, "210102", "19930303", "006"))
				f.Set("case_id", "999999")
				return f
			}(), http.StatusNotFound, "未找到"},
			"a token another form used": {func() url.Values {
				f := fields(token, personID(t, "210102", "19910101", "007"), personID(t, "210102", "19930303", "008"))
				f.Set("_once", usedToken)
				return f
			}(), http.StatusUnprocessableEntity, "Idempotency-Key 已用于另一个不同的请求"},
		} {
			resp, body := citizen.post("/appointments/book", tc.form)
			if resp.StatusCode != tc.want || !strings.Contains(body, tc.says) || !strings.Contains(body, `value="周伟"`) ||
				!strings.Contains(body, `value="`+tc.form.Get("partner_id_number")+`"`) {
				t.Errorf("%s: %d, want %d saying %q with the form kept\n%s", name, resp.StatusCode, tc.want, tc.says, body)
			}
		}
	})
}

// The items booked at a registration office have no online application: their application page
// leads to the offices with a notice, and the API refuses their drafts and cases (409
// apply_by_appointment).
func TestBookedItemsAreNotAppliedForOnline(t *testing.T) {
	stacktest.Each(t, func(t *testing.T, s *stacktest.Stack) {
		st := startSite(t, s)
		st.user("booked.citizen", "citizen")
		citizen := st.browser()
		citizen.login("booked.citizen")
		token := st.token("booked.citizen")
		for item, service := range map[string]string{"marriage-registration": "marriage", "divorce-registration": "divorce",
			"marriage-certificate-replacement": "replacement"} {
			code, _, _ := citizen.get("/catalog/" + item + "/apply")
			_, _, csrf := citizen.get("/appointments")
			resp, _ := citizen.post("/catalog/"+item+"/apply", url.Values{"_csrf": {csrf}, "intent": {"save"}})
			to := "/appointments?service=" + service + "&from=apply"
			if code != http.StatusSeeOther || resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != to {
				t.Errorf("%s: the application page answers %d, its post %d to %q", item, code, resp.StatusCode, resp.Header.Get("Location"))
			}
			if page, _ := citizen.page(to, http.StatusOK); !strings.Contains(page, "该事项不能网上申请") {
				t.Errorf("%s: the appointments page does not say why: %s", item, page)
			}
			var e struct{ Error struct{ Code string } }
			for _, call := range []struct {
				method, path string
				body         any
			}{
				{"GET", "/api/v1/drafts/" + item, nil},
				{"PUT", "/api/v1/drafts/" + item, map[string]any{"data": map[string]any{"booker_name": "周伟"}}},
				{"POST", "/api/v1/cases", map[string]any{"item": item, "jurisdiction": "210102", "data": map[string]any{}}},
			} {
				e.Error.Code = ""
				if code := st.api(call.method, call.path, token, call.body, &e); code != http.StatusConflict || e.Error.Code != "apply_by_appointment" {
					t.Errorf("%s %s: %d %q, want 409 apply_by_appointment", call.method, call.path, code, e.Error.Code)
				}
			}
		}
		if n, err := s.DB.NewSelect().Table("drafts").Count(context.Background()); err != nil || n != 0 {
			t.Errorf("%d drafts of booked items saved (%v)", n, err)
		}
	})
}
