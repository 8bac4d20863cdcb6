package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/register"
)

// registerCommand manages the public register from the command line: for now the import of the
// register a department kept before it went live.
func registerCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "register", Short: "Manage the register of social organisations"}
	var opts register.ImportOptions
	var columns strings.Builder
	for _, c := range register.ImportColumns {
		req := ""
		if c.Required {
			req = " (required)"
		}
		fmt.Fprintf(&columns, "  %s%s\n", strings.Join(c.Names, " / "), req)
	}
	imp := &cobra.Command{
		Use:   "import FILE",
		Short: "Import the existing register from a CSV or XLSX file, by credit code",
		Long: "Reads the department's existing register from a CSV file (UTF-8 with or without a byte order\n" +
			"mark, or GB18030/GBK) or an XLSX workbook (its first sheet), one organisation a row after a\n" +
			"header row naming the columns, in any order:\n\n" + columns.String() + "\n" +
			"Every row is checked and every error printed with its line and column. A file with errors\n" +
			"writes nothing unless --skip-errors is given. A credit code already on the register is updated\n" +
			"when the file gives other particulars and left alone otherwise, so importing a file again changes\n" +
			"nothing. Exits with 1 when a row has an error.",
		Example: "  civicflow register import --dry-run register.xlsx\n  civicflow register import --skip-errors register.csv",
		Args:    cobra.ExactArgs(1),
		RunE: withDatabase(func(cmd *cobra.Command, args []string, db *bun.DB) error {
			if err := requireSchema(cmd.Context(), db); err != nil {
				return err
			}
			f, err := os.Open(args[0])
			if err != nil {
				return err
			}
			defer f.Close()
			opts.Source = filepath.Base(args[0])
			opts.Actor = audit.Actor{Label: "cli"}
			rep, err := register.Import(cmd.Context(), db, f, opts)
			if err != nil {
				return describe(err)
			}
			printImport(cmd.OutOrStdout(), rep)
			if len(rep.Errors) > 0 {
				return fmt.Errorf("%d error(s) in %d row(s) of %s", len(rep.Errors), rep.Skipped, opts.Source)
			}
			return nil
		}),
	}
	imp.Flags().BoolVar(&opts.SkipErrors, "skip-errors", false, "import the good rows of a file that has bad ones")
	imp.Flags().BoolVar(&opts.DryRun, "dry-run", false, "check the file and say what it would change, writing nothing")
	cmd.AddCommand(imp)
	return cmd
}

// printImport writes every error and warning, in line order, then the summary.
func printImport(out io.Writer, rep *register.ImportReport) {
	type issue struct {
		kind string
		register.ImportIssue
	}
	var all []issue
	for _, is := range rep.Errors {
		all = append(all, issue{"error", is})
	}
	for _, is := range rep.Warnings {
		all = append(all, issue{"warning", is})
	}
	slices.SortStableFunc(all, func(a, b issue) int { return a.Line - b.Line })
	for _, is := range all {
		col := ""
		if is.Column != "" {
			col = ", column " + is.Column
		}
		fmt.Fprintf(out, "line %d%s: %s: %s\n", is.Line, col, is.kind, is.Message.EN)
	}
	if len(rep.IgnoredColumns) > 0 {
		fmt.Fprintf(out, "ignored columns: %s\n", strings.Join(rep.IgnoredColumns, ", "))
	}
	inserted, updated := "inserted", "updated"
	if !rep.Written {
		inserted, updated = "would insert", "would update"
	}
	fmt.Fprintf(out, "read %d, %s %d, %s %d, unchanged %d, warnings %d, errors %d",
		rep.Read, inserted, rep.Inserted, updated, rep.Updated, rep.Unchanged, len(rep.Warnings), len(rep.Errors))
	if rep.Skipped > 0 {
		fmt.Fprintf(out, " in %d row(s)", rep.Skipped)
	}
	fmt.Fprintln(out)
	switch {
	case rep.DryRun:
		fmt.Fprintln(out, "dry run: nothing was written")
	case !rep.Written:
		fmt.Fprintln(out, "nothing was written: correct the errors, or import the good rows with --skip-errors")
	}
}
