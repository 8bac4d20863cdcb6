package workflow

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// The events of a case form a hash chain: each event's hash is the SHA-256 of the previous event's
// hash and a canonical JSON of the event's own content, so that editing, inserting or deleting an
// event breaks every later link. CheckChains recomputes the chains; `civicflow audit verify` runs it.
// The case row keeps the head of its chain: its version is the number of events and LastHash the
// hash of the last, so that a change links its event without reading the one before (writeCase).

// hashedContent is the content of an event that its hash covers, in a fixed order.
type hashedContent struct {
	CaseID      int64  `json:"case_id"`
	Seq         int    `json:"seq"`
	At          string `json:"at"`
	ActorUserID int64  `json:"actor_user_id"`
	Actor       string `json:"actor"`
	Action      string `json:"action"`
	From        string `json:"from"`
	To          string `json:"to"`
	Comment     string `json:"comment"`
	Changes     any    `json:"changes"`
}

// canonical returns v as it reads back from a JSON column: maps with sorted keys, numbers as
// float64. PostgreSQL's jsonb reorders keys and rewrites numbers, so hashing the value as read back
// is what makes the hash of a stored event recomputable on either database.
func canonical(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return out, nil
}

// eventHash computes the hash of ev from its content and ev.PrevHash.
func eventHash(ev *Event) (string, error) {
	var changes any = map[string]any{}
	if len(ev.Changes) > 0 {
		c, err := canonical(ev.Changes)
		if err != nil {
			return "", fmt.Errorf("encoding the changes of event %d of case %d: %w", ev.Seq, ev.CaseID, err)
		}
		changes = c
	}
	content := hashedContent{CaseID: ev.CaseID, Seq: ev.Seq, At: ev.At.UTC().Format(time.RFC3339Nano),
		Actor: ev.Actor, Action: ev.Action, From: ev.From, To: ev.To, Comment: ev.Comment, Changes: changes}
	if ev.ActorUserID != nil {
		content.ActorUserID = *ev.ActorUserID
	}
	b, err := json.Marshal(content)
	if err != nil {
		return "", fmt.Errorf("encoding event %d of case %d: %w", ev.Seq, ev.CaseID, err)
	}
	sum := sha256.Sum256(append([]byte(ev.PrevHash+"\n"), b...))
	return hex.EncodeToString(sum[:]), nil
}

// linkEvent makes ev the event number seq of its case's chain, after the event whose hash is
// prevHash ("" for the first): it puts the changes in the form they read back in and sets the hash.
func linkEvent(ev *Event, seq int, prevHash string) error {
	ev.Seq, ev.PrevHash = seq, prevHash
	if len(ev.Changes) > 0 {
		c, err := canonical(ev.Changes)
		if err != nil {
			return fmt.Errorf("encoding the changes of case %d: %w", ev.CaseID, err)
		}
		ev.Changes = c.(map[string]any)
	} else {
		ev.Changes = nil
	}
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	h, err := eventHash(ev)
	if err != nil {
		return err
	}
	ev.Hash = h
	return nil
}

// insertEvent inserts the linked event, in tx.
func insertEvent(ctx context.Context, tx bun.IDB, ev *Event) error {
	if _, err := tx.NewInsert().Model(ev).Exec(ctx); err != nil {
		return fmt.Errorf("writing event %d of case %d: %w", ev.Seq, ev.CaseID, err)
	}
	return nil
}

// Broken is a break in a case's chain: the event (Seq; 0 when the case has none) where the
// recomputed chain stops matching, and why.
type Broken struct {
	CaseID int64  `json:"case_id"`
	Seq    int    `json:"seq"`
	Reason string `json:"reason"`
}

// ChainReport is what CheckChains found.
type ChainReport struct {
	Cases  int      `json:"cases"`
	Events int      `json:"events"`
	Broken []Broken `json:"broken"`
}

// chainBatch is how many cases CheckChains reads at a time.
const chainBatch = 500

// CheckChains recomputes every case's event chain, a batch of cases at a time, and reports how many
// cases and events it checked and every break: a hash that does not match the event's content, a
// prev_hash that does not match the event before, a gap in the sequence, a case without events, or a
// case row whose state, version or head of the chain disagrees with its events.
func CheckChains(ctx context.Context, db bun.IDB) (ChainReport, error) {
	var r ChainReport
	var after int64
	for {
		var cases []Case
		err := db.NewSelect().Model(&cases).Column("id", "state", "version", "last_hash").Where("c.id > ?", after).
			OrderExpr("c.id").Limit(chainBatch).Scan(ctx)
		if err != nil {
			return r, fmt.Errorf("reading cases after %d: %w", after, err)
		}
		if len(cases) == 0 {
			return r, nil
		}
		ids := make([]int64, len(cases))
		for i, c := range cases {
			ids[i] = c.ID
		}
		var events []Event
		err = db.NewSelect().Model(&events).Where("case_id IN (?)", bun.List(ids)).OrderExpr("case_id, seq").Scan(ctx)
		if err != nil {
			return r, fmt.Errorf("reading the events of cases %d–%d: %w", ids[0], ids[len(ids)-1], err)
		}
		byCase := map[int64][]Event{}
		for _, ev := range events {
			byCase[ev.CaseID] = append(byCase[ev.CaseID], ev)
		}
		for _, c := range cases {
			r.Cases++
			r.Events += len(byCase[c.ID])
			r.Broken = append(r.Broken, checkChain(c, byCase[c.ID])...)
		}
		after = ids[len(ids)-1]
	}
}

// checkChain checks one case's events, ordered by seq.
func checkChain(c Case, events []Event) []Broken {
	var out []Broken
	broken := func(seq int, format string, args ...any) {
		out = append(out, Broken{CaseID: c.ID, Seq: seq, Reason: fmt.Sprintf(format, args...)})
	}
	if len(events) == 0 {
		broken(0, "the case has no events")
		return out
	}
	prev := ""
	for i := range events {
		ev := &events[i]
		if ev.Seq != i+1 {
			broken(ev.Seq, "event %d where %d was expected (an event is missing or was inserted)", ev.Seq, i+1)
		}
		if ev.PrevHash != prev {
			broken(ev.Seq, "prev_hash does not match the hash of the event before")
		}
		h, err := eventHash(ev)
		if err != nil {
			broken(ev.Seq, "%v", err)
		} else if h != ev.Hash {
			broken(ev.Seq, "hash does not match the event's content (the event was changed)")
		}
		prev = ev.Hash
	}
	last := events[len(events)-1]
	if last.To != c.State {
		broken(last.Seq, "the case is in state %q but its last event leads to %q", c.State, last.To)
	}
	if c.Version != int64(len(events)) {
		broken(last.Seq, "the case is at version %d but has %d events", c.Version, len(events))
	}
	if c.LastHash != last.Hash {
		broken(last.Seq, "the case's head of the chain (last_hash) is not the hash of its last event")
	}
	return out
}

// Seal dates ev to the microsecond and sets its hash after prevHash ("" for a case's first event),
// as writeCase does when it writes an event: for a bulk loader (civicflow-bench's province
// scenario) that writes cases and their first events itself, so that CheckChains accepts them (the
// case row's last_hash is then ev.Hash).
func (ev *Event) Seal(prevHash string) error {
	ev.At = ev.At.UTC().Truncate(time.Microsecond)
	ev.PrevHash = prevHash
	h, err := eventHash(ev)
	if err != nil {
		return err
	}
	ev.Hash = h
	return nil
}
