package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/statistics/closed"
)

// statisticsCommand keeps the statistics' own tables right where something other than the engine
// closed cases: a process of the release before statistics_closed, still running during an upgrade,
// or cases written into the database by hand or by a tool.
func statisticsCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "statistics", Short: "Maintain the figures the statistics keep"}
	rebuild := &cobra.Command{
		Use:   "rebuild",
		Short: "Count every closed case again into the figures kept per month",
		Long: "The statistics keep the figures of closed cases per jurisdiction, service item and month of\n" +
			"receipt; the engine adds each case in the transaction that closes it. Run this after an upgrade\n" +
			"during which processes of the release before kept closing cases, or after writing cases into the\n" +
			"database other than through CivicFlow. It counts them all again in one transaction, while the\n" +
			"service runs: the statistics show the old figures until it commits, and cases closed meanwhile\n" +
			"wait for it (some 15 s for a million cases on PostgreSQL).",
		Args: cobra.NoArgs,
		RunE: withDatabase(func(cmd *cobra.Command, _ []string, db *bun.DB) error {
			if err := closed.Rebuild(cmd.Context(), db); err != nil {
				return err
			}
			var rows int
			if err := db.NewSelect().TableExpr("statistics_closed").ColumnExpr("COUNT(*)").Scan(cmd.Context(), &rows); err != nil {
				return fmt.Errorf("counting the figures kept: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "OK: the closed cases counted again, %d rows of figures\n", rows)
			return nil
		}),
	}
	cmd.AddCommand(rebuild)
	return cmd
}
