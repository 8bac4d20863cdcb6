package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/workflow"
)

// auditCommand checks the audit trail, so that an operator or an inspector can show that no case's
// history was edited behind the application's back.
func auditCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "audit", Short: "Check the audit trail"}
	verify := &cobra.Command{
		Use:   "verify",
		Short: "Recompute the hash chain of every case's events and report each break",
		Long: "Recomputes the hash chain of every case's events: each event's hash covers its content and\n" +
			"the hash of the event before, so an event changed, inserted or deleted in the database shows up\n" +
			"here, as does a case row whose state or version no longer matches its events.\n" +
			"Prints OK with the counts when every chain holds; otherwise prints each break and exits with 1.",
		Args: cobra.NoArgs,
		RunE: withDatabase(func(cmd *cobra.Command, _ []string, db *bun.DB) error {
			r, err := workflow.CheckChains(cmd.Context(), db)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(r.Broken) == 0 {
				fmt.Fprintf(out, "OK: %d cases, %d events, every chain intact\n", r.Cases, r.Events)
				return nil
			}
			for _, b := range r.Broken {
				fmt.Fprintf(out, "BROKEN case %d event %d: %s\n", b.CaseID, b.Seq, b.Reason)
			}
			return fmt.Errorf("%d break(s) in the case event chains (%d cases, %d events checked)", len(r.Broken), r.Cases, r.Events)
		}),
	}
	cmd.AddCommand(verify)
	return cmd
}
