package appointments

// LetInPerSlot makes the desk run n bookings of a slot at once, so that a test can hold a slot's
// only turn.
func (d *Desk) LetInPerSlot(n int) { d.line = slotAdmissions(n) }

// Waiting returns how many bookings of the office's slot wait for their turn.
func (d *Desk) Waiting(office int64, day, start string, service Service) int {
	d.line.mu.Lock()
	defer d.line.mu.Unlock()
	if s := d.line.slots[slotKey{office, day, start, service}]; s != nil {
		return len(s.waiting)
	}
	return 0
}
