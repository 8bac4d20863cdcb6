package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	mathrand "math/rand/v2"
	"net/http"
	"sync"
	"time"

	"github.com/civicflow/civicflow/calendar"
)

// The hot day: one office, one morning session cut into five 20-minute slots of 20 marriage seats
// each, 100 seats in all, opened by an office-day exception so that the day need not be a working day.
const (
	hotSlotMinutes = 20
	hotSlotSeats   = 20
	hotSessionFrom = "09:00"
	hotSessionTo   = "10:40"
	hotSeats       = 5 * hotSlotSeats
)

// citizen is one bench client: an account's token and the two people it books for.
type citizen struct {
	token                           string
	booker, partner                 string // resident ID numbers
	bookerName, partnerName, mobile string
}

// bookingRun is what a booking race measured.
type bookingRun struct {
	confirmed, full int
	other           int // answers other than a booking, slot_full or a free slot read, 5xx included
	serverErrors    int // 5xx answers
	booking, slots  []time.Duration
	answered        []time.Duration // each client's final answer (a booking or no free seat), from the start
	elapsed         time.Duration
	soldOut         time.Duration // from the start to the last confirmed booking
}

// runBooking creates an office whose hot day has exactly hotSeats seats and n citizens, then lets all
// of them race at once: each reads the free slots (public, no login) and books the first free one,
// reading again after a "full" answer, until it has a booking or the day is full. It fails unless
// every client got its answer, none of them a 5xx or anything but a booking, slot_full or the free
// slots, and the office's day sheet lists exactly min(n, hotSeats) bookings.
func runBooking(ctx context.Context, o options) error {
	b, err := setUp(ctx, o)
	if err != nil {
		return err
	}
	day := time.Now().In(calendar.Zone).AddDate(0, 0, 10).Format(time.DateOnly)
	officeID, err := b.hotOffice(ctx, day)
	if err != nil {
		return err
	}
	fmt.Printf("creating %d citizens…\n", o.clients)
	citizens, err := b.citizens(ctx, o.clients)
	if err != nil {
		return err
	}
	fmt.Printf("%d clients racing for %d seats on %s…\n", len(citizens), hotSeats, day)
	r, raceErr := b.race(ctx, officeID, day, citizens)
	var sheet struct {
		Lines []struct{ Status string } `json:"lines"`
	}
	if err := b.call(ctx, "GET", fmt.Sprintf("/api/v1/offices/%d/day-sheet?day=%s", officeID, day), b.admin, nil, &sheet, http.StatusOK); err != nil {
		return err
	}
	fmt.Printf("\nconfirmed %d, full %d, other answers %d (5xx: %d); %d of %d clients answered; the day sheet lists %d bookings for %d seats\n",
		r.confirmed, r.full, r.other, r.serverErrors, len(r.answered), len(citizens), len(sheet.Lines), hotSeats)
	fmt.Printf("booking requests: %d in %s = %.0f requests/s; the %d seats were taken within %s (%.0f bookings/s)\n", len(r.booking),
		r.elapsed.Round(time.Millisecond), float64(len(r.booking))/r.elapsed.Seconds(), r.confirmed, r.soldOut.Round(time.Millisecond),
		float64(r.confirmed)/r.soldOut.Seconds())
	fmt.Printf("  POST bookings   %s\n", summary(r.booking))
	fmt.Printf("  GET free slots  %s\n", summary(r.slots))
	fmt.Printf("  client answered %s (from the start)\n", summary(r.answered))
	want := min(len(citizens), hotSeats)
	switch {
	case r.serverErrors > 0 || r.other > 0:
		return fmt.Errorf("want only bookings, slot_full and free slots, got %d other answers (%d of them 5xx); the first: %w", r.other, r.serverErrors, raceErr)
	case raceErr != nil:
		return raceErr
	case len(r.answered) != len(citizens) || r.confirmed+r.full != len(citizens):
		return fmt.Errorf("want every one of %d clients answered, got %d (%d booked, %d told full)", len(citizens), len(r.answered), r.confirmed, r.full)
	case r.confirmed != want || len(sheet.Lines) != want:
		return fmt.Errorf("want exactly %d confirmed bookings, got %d confirmed, %d listed", want, r.confirmed, len(sheet.Lines))
	}
	return nil
}

// hotOffice creates the bench's office in the jurisdiction and opens it on day with the hot session.
func (b *bench) hotOffice(ctx context.Context, day string) (int64, error) {
	session := []map[string]string{{"start": hotSessionFrom, "end": hotSessionTo}}
	in := map[string]any{
		"jurisdiction": b.o.jurisdiction, "active": true, "phone": "024-12345678",
		"name":     map[string]string{"zh": "压力测试婚姻登记处" + randomHex(3), "en": "Bench registration office"},
		"address":  map[string]string{"zh": "沈阳市和平区测试路1号", "en": "1 Test Road, Shenyang"},
		"capacity": map[string]int{"marriage": hotSlotSeats}, "sessions": session, "slot_minutes": hotSlotMinutes,
	}
	var office struct{ ID int64 }
	if err := b.call(ctx, "POST", "/api/v1/offices", b.admin, in, &office, http.StatusCreated); err != nil {
		return 0, err
	}
	open := map[string]any{"day": day, "kind": "open", "sessions": session, "note": "5-20"}
	if err := b.call(ctx, "POST", fmt.Sprintf("/api/v1/offices/%d/days", office.ID), b.admin, open, nil, http.StatusOK); err != nil {
		return 0, err
	}
	return office.ID, nil
}

// citizens creates n citizen accounts with tokens, untimed, a few at a time (password hashing is the
// server's slowest work and not what the race measures). Citizen i books for a man born on day i after
// 1980-01-01 and a woman born the same day, with sequence numbers drawn for the run, so that the
// people of an earlier run's bookings are not booked again.
func (b *bench) citizens(ctx context.Context, n int) ([]citizen, error) {
	b.seq = mathrand.IntN(499)
	out := make([]citizen, n)
	var firstErr error
	var mu sync.Mutex
	work := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < 8; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				c, err := b.citizen(ctx, i)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				out[i] = c
				mu.Unlock()
			}
		}()
	}
	for i := 0; i < n; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	return out, firstErr
}

func (b *bench) citizen(ctx context.Context, i int) (citizen, error) {
	token, err := b.newUser(ctx, fmt.Sprintf("bench-%s-c%d", b.run, i), "citizen")
	if err != nil {
		return citizen{}, err
	}
	born := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, i).Format("20060102")
	seq := 2*b.seq + 1 // odd for the man, even for the woman; new people in every run
	return citizen{token: token, booker: checkedID(fmt.Sprintf("210102%s%03d", born, seq)), partner: checkedID(fmt.Sprintf("210102%s%03d", born, seq+1)),
		bookerName: fmt.Sprintf("新郎%d", i), partnerName: fmt.Sprintf("新娘%d", i), mobile: "13800000000"}, nil
}

// race starts every citizen at the same moment and waits for all of them.
func (b *bench) race(ctx context.Context, officeID int64, day string, citizens []citizen) (bookingRun, error) {
	var r bookingRun
	var mu sync.Mutex
	var firstErr error
	gate := make(chan struct{})
	var t0 time.Time
	var wg sync.WaitGroup
	for _, c := range citizens {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-gate
			res, err := b.book(ctx, officeID, day, c)
			at := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if res.confirmed > 0 {
				r.soldOut = max(r.soldOut, at)
			}
			if err == nil {
				r.answered = append(r.answered, at)
			} else if firstErr == nil {
				firstErr = err
			}
			r.booking = append(r.booking, res.booking...)
			r.slots = append(r.slots, res.slots...)
			r.confirmed += res.confirmed
			r.full += res.full
			r.other += res.other
			r.serverErrors += res.serverErrors
		}()
	}
	t0 = time.Now()
	close(gate)
	wg.Wait()
	r.elapsed = time.Since(t0)
	return r, firstErr
}

// book is one client's attempt: read the free slots, book the first free one, again after each
// "full" answer, until booked or no slot is free. Any other answer ends it with an error.
func (b *bench) book(ctx context.Context, officeID int64, day string, c citizen) (bookingRun, error) {
	var r bookingRun
	for {
		var slots struct {
			Slots []struct {
				Start string `json:"start"`
				Free  int    `json:"free"`
			} `json:"slots"`
		}
		t := time.Now()
		err := b.call(ctx, "GET", fmt.Sprintf("/api/v1/offices/%d/slots?day=%s&service=marriage", officeID, day), "", nil, &slots, http.StatusOK)
		r.slots = append(r.slots, time.Since(t))
		if err != nil {
			var se *statusError
			if errors.As(err, &se) {
				r.refused(se.status)
			} else {
				r.refused(0)
			}
			return r, err
		}
		start := ""
		for _, s := range slots.Slots {
			if s.Free > 0 {
				start = s.Start
				break
			}
		}
		if start == "" {
			r.full++
			return r, nil
		}
		in := map[string]any{"office_id": officeID, "service": "marriage", "day": day, "start": start,
			"booker_name": c.bookerName, "booker_id_number": c.booker, "partner_name": c.partnerName,
			"partner_id_number": c.partner, "phone": c.mobile}
		t = time.Now()
		status, code, err := b.try(ctx, "POST", "/api/v1/bookings", c.token, in)
		r.booking = append(r.booking, time.Since(t))
		switch {
		case err != nil:
			r.refused(0)
			return r, err
		case status == http.StatusCreated:
			r.confirmed++
			return r, nil
		case status == http.StatusConflict && code == "slot_full":
			continue // someone was faster: read the slots again
		default:
			r.refused(status)
			return r, fmt.Errorf("booking %s at %s: status %d, code %q", day, start, status, code)
		}
	}
}

// refused counts an answer that ended a client's attempt, neither a booking nor slot_full nor the
// free slots: its HTTP status, 0 when none came.
func (r *bookingRun) refused(status int) {
	r.other++
	if status >= 500 {
		r.serverErrors++
	}
}

// try sends a JSON request and returns the status and, for an error answer, its problem code.
func (b *bench) try(ctx context.Context, method, path, token string, body any) (int, string, error) {
	err := b.call(ctx, method, path, token, body, nil, http.StatusCreated)
	var se *statusError
	if errors.As(err, &se) {
		var env struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(se.body, &env)
		return se.status, env.Error.Code, nil
	}
	if err != nil {
		return 0, "", err
	}
	return http.StatusCreated, "", nil
}
