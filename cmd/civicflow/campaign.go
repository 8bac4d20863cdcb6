package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/annualreport"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/register"
)

// campaignCommand opens campaigns from the command line: the year's annual reports of a jurisdiction.
func campaignCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "campaign", Short: "Open campaigns: the annual work reports of a year"}
	var jurisdiction string
	var remind int
	deadlines := map[string]*string{}
	open := &cobra.Command{
		Use:   "open annual-report YEAR --jurisdiction CODE",
		Short: "Open the annual-report campaign of a year for a jurisdiction and the divisions below it",
		Long: "Gives every active organisation of the jurisdiction and the divisions below it, registered on or\n" +
			"before 1 July of YEAR, its annual work report of YEAR to file, and notifies the applicants bound\n" +
			"to them. Deadlines default to 31 May of the next year (social groups, private non-enterprise\n" +
			"units) and 31 March (foundations).",
		Example: "  civicflow campaign open annual-report 2026 --jurisdiction 210000\n" +
			"  civicflow campaign open annual-report 2026 --jurisdiction 210100 --deadline-foundation 2027-04-15",
		Args: cobra.ExactArgs(2),
		RunE: withDatabase(func(cmd *cobra.Command, args []string, db *bun.DB) error {
			if args[0] != annualreport.KindAnnualReport {
				return fmt.Errorf("unknown kind of campaign %q: the only one is %s", args[0], annualreport.KindAnnualReport)
			}
			year, err := strconv.Atoi(args[1])
			if err != nil {
				return fmt.Errorf("YEAR %q is not a year", args[1])
			}
			if err := requireSchema(cmd.Context(), db); err != nil {
				return err
			}
			o := annualreport.Opening{Year: year, Jurisdiction: jurisdiction, RemindDays: remind, Deadlines: map[string]string{}}
			for kind, d := range deadlines {
				o.Deadlines[kind] = *d
			}
			start := time.Now()
			c, err := annualreport.Open(cmd.Context(), db, nil, audit.Actor{Label: "cli"}, o, start)
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "campaign %d: annual reports %d of %s opened for %d organisation(s) in %s; due %s (social groups), %s (private non-enterprise units), %s (foundations)\n",
				c.ID, c.Year, c.Jurisdiction, c.Reports, time.Since(start).Round(time.Millisecond),
				c.DeadlineSocialGroup, c.DeadlinePrivateNonEnterprise, c.DeadlineFoundation)
			return nil
		}),
	}
	open.Flags().StringVar(&jurisdiction, "jurisdiction", "", "division code of the jurisdiction (required)")
	open.Flags().IntVar(&remind, "remind-days", 0, fmt.Sprintf("remind this many days before a deadline (default %d)", annualreport.DefaultRemindDays))
	for _, kind := range register.Kinds {
		deadlines[kind] = open.Flags().String("deadline-"+flagName(kind), "", "deadline for "+kind+" organisations, YYYY-MM-DD")
	}
	_ = open.MarkFlagRequired("jurisdiction")
	cmd.AddCommand(open)
	return cmd
}

// flagName writes a kind as a flag does: private_non_enterprise → private-non-enterprise.
func flagName(kind string) string { return strings.ReplaceAll(kind, "_", "-") }
