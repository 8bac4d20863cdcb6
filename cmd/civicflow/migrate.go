package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/migrations"
)

func migrateCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Apply, roll back or list database migrations",
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "up",
		Short: "Apply every pending migration",
		Args:  cobra.NoArgs,
		RunE: withDatabase(func(cmd *cobra.Command, _ []string, db *bun.DB) error {
			names, err := migrations.Up(cmd.Context(), db)
			if err != nil {
				return err
			}
			if len(names) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "Nothing to apply: the database is up to date.")
			}
			for _, n := range names {
				fmt.Fprintln(cmd.OutOrStdout(), "applied", n)
			}
			return nil
		}),
	}, &cobra.Command{
		Use:   "down",
		Short: "Roll back the last group of applied migrations",
		Args:  cobra.NoArgs,
		RunE: withDatabase(func(cmd *cobra.Command, _ []string, db *bun.DB) error {
			names, err := migrations.Down(cmd.Context(), db)
			if err != nil {
				return err
			}
			if len(names) == 0 {
				fmt.Fprintln(cmd.OutOrStdout(), "Nothing to roll back.")
			}
			for _, n := range names {
				fmt.Fprintln(cmd.OutOrStdout(), "rolled back", n)
			}
			return nil
		}),
	}, &cobra.Command{
		Use:   "status",
		Short: "List applied and pending migrations",
		Args:  cobra.NoArgs,
		RunE: withDatabase(func(cmd *cobra.Command, _ []string, db *bun.DB) error {
			st, err := migrations.List(cmd.Context(), db)
			if err != nil {
				return err
			}
			pending := 0
			for _, m := range st {
				state := "applied"
				if !m.Applied {
					state, pending = "pending", pending+1
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%-8s %s\n", state, m.Name)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%d applied, %d pending\n", len(st)-pending, pending)
			return nil
		}),
	})
	return cmd
}
