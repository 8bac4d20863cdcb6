package main

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/disclosure"
	"github.com/civicflow/civicflow/jurisdictions"
	"github.com/civicflow/civicflow/workflow"
)

// disclosureCommand produces the annual government-information-disclosure report from the command line.
func disclosureCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "disclosure", Short: "Government information disclosure: the annual report"}
	var jurisdiction, format, output string
	report := &cobra.Command{
		Use:   "report YEAR [--jurisdiction CODE] [--format text|csv|xlsx|pdf] [--output FILE]",
		Short: "Produce the annual disclosure report of a year (国办公开办函〔2021〕30号)",
		Long: "Builds the government-information-disclosure report of YEAR for a department from the data: table 二\n" +
			"(what was published, with the figures staff entered), table 三 (the requests, checked: received +\n" +
			"carried over = closed + carried into the next year, per column), table 四 (reviews and lawsuits\n" +
			"staff recorded) and the sections staff wrote. It counts the jurisdiction's own division code only.\n" +
			"Departments publish it by 31 January of the next year.",
		Example: "  civicflow disclosure report 2025 --jurisdiction 210100\n" +
			"  civicflow disclosure report 2025 --jurisdiction 210000 --format pdf --output report-2025.pdf",
		Args: cobra.ExactArgs(1),
		RunE: withDatabase(func(cmd *cobra.Command, args []string, db *bun.DB) error {
			year, err := strconv.Atoi(args[0])
			if err != nil {
				return fmt.Errorf("YEAR %q is not a year", args[0])
			}
			if format != "text" && !slices.Contains(disclosure.Formats, format) {
				return fmt.Errorf("unknown --format %q: text, %s", format, strings.Join(disclosure.Formats, ", "))
			}
			if err := requireSchema(cmd.Context(), db); err != nil {
				return err
			}
			ctx := cmd.Context()
			if jurisdiction == "" {
				roots, err := jurisdictions.Roots(ctx, db)
				if err != nil {
					return err
				}
				if len(roots) != 1 {
					return fmt.Errorf("give the department's division code with --jurisdiction")
				}
				jurisdiction = roots[0]
			}
			r, err := disclosure.Report(ctx, db, year, jurisdiction)
			if err != nil {
				return describe(err)
			}
			cfg, err := config.FromEnvironment()
			if err != nil {
				return err
			}
			cat, _, err := catalog.Load(catalog.Builtin, cfg.CatalogDir, workflow.CatalogNames())
			if err != nil {
				return err
			}
			if err := r.NameAuthority(ctx, db, cat); err != nil {
				return err
			}
			var out []byte
			if format == "text" {
				out = []byte(r.Text())
			} else if out, _, err = r.Export(format, time.Now()); err != nil {
				return err
			}
			if output == "" {
				_, err = cmd.OutOrStdout().Write(out)
				return err
			}
			if err := os.WriteFile(output, out, 0o644); err != nil {
				return fmt.Errorf("writing the report: %w", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %s (%d bytes)\n", r.Title(), output, len(out))
			return nil
		}),
	}
	report.Flags().StringVar(&jurisdiction, "jurisdiction", "", "division code of the department (default: the only province)")
	report.Flags().StringVar(&format, "format", "text", "text, csv, xlsx or pdf")
	report.Flags().StringVar(&output, "output", "", "file to write (default: standard output)")
	cmd.AddCommand(report)
	return cmd
}
