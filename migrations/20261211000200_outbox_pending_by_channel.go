package migrations

// The pending outbox rows of one channel, oldest first: what the relay's batches of in-app messages
// take and what it enqueues of e-mail and SMS, read without sorting all pending rows or passing over
// the delivered ones. Partial, so it holds only what is still to deliver.
func init() {
	all.MustRegister(statements(
		`CREATE INDEX outbox_pending_by_channel ON outbox (channel, id) WHERE status = 'pending'`,
	), statements(
		`DROP INDEX outbox_pending_by_channel`,
	))
}
