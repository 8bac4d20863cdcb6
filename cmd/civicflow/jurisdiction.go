package main

import (
	"fmt"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/jurisdictions"
)

func jurisdictionCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "jurisdiction", Short: "Manage the jurisdictions (GB/T 2260 division codes) staff work in"}
	var nameEN string
	add := &cobra.Command{
		Use:     "add CODE NAME",
		Short:   "Add a jurisdiction; its parent (province or city) must exist",
		Example: "  civicflow jurisdiction add 210000 辽宁省 --en Liaoning\n  civicflow jurisdiction add 210100 沈阳市 --en Shenyang",
		Args:    cobra.ExactArgs(2),
		RunE: withDatabase(func(cmd *cobra.Command, args []string, db *bun.DB) error {
			if err := jurisdictions.Add(cmd.Context(), db, args[0], args[1], nameEN); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "jurisdiction %s %s is in place\n", args[0], args[1])
			return nil
		}),
	}
	add.Flags().StringVar(&nameEN, "en", "", "English name")
	list := &cobra.Command{
		Use:   "list",
		Short: "List the jurisdictions",
		Args:  cobra.NoArgs,
		RunE: withDatabase(func(cmd *cobra.Command, _ []string, db *bun.DB) error {
			js, err := jurisdictions.List(cmd.Context(), db)
			if err != nil {
				return err
			}
			for _, j := range js {
				fmt.Fprintf(cmd.OutOrStdout(), "%s  %-8s %s %s\n", j.Code, jurisdictions.LevelOf(j.Code), j.NameZH, j.NameEN)
			}
			return nil
		}),
	}
	cmd.AddCommand(add, list)
	return cmd
}
