package main

import (
	"fmt"
	"strconv"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/calendar"
)

// calendarCommand reckons deadlines as the service does and manages the local overrides of the
// national holiday schedule, for administrators without the web.
func calendarCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "calendar",
		Short: "Reckon deadlines in working days and manage local closures of the holiday calendar",
		Long: "Working days follow the State Council's holiday schedules, make-up working days (调休) included,\n" +
			"corrected by the local closures and working days administrators enter for a jurisdiction and\n" +
			"everything below it. The start day of a period is never counted. Dates are written YYYY-MM-DD\n" +
			"and are days in China, whatever the server's time zone.",
	}
	cmd.AddCommand(calendarAddCommand(), calendarBetweenCommand(), calendarHolidaysCommand(), calendarOverrideCommand())
	return cmd
}

func calendarAddCommand() *cobra.Command {
	var calendarDays bool
	var jurisdiction string
	c := &cobra.Command{
		Use:   "add FROM N",
		Short: "Print the last day of a period of N working days (or calendar days) from FROM",
		Long: "Prints the N-th working day after FROM. With --calendar-days, prints the day N days after FROM\n" +
			"or, when that is not a working day, the next working day (民法典 arts. 201–203).\n" +
			"With --jurisdiction, the local overrides of that jurisdiction and those above it count too.",
		Example: "  civicflow calendar add 2026-09-24 20\n" +
			"  civicflow calendar add 2026-09-01 30 --calendar-days\n" +
			"  civicflow calendar add 2026-09-24 20 --jurisdiction 210102",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err := dateArg("FROM", args[0])
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 0 {
				//lint:ignore ST1005 N is the argument's name as the usage writes it, like FROM and YEAR in the other messages
				return fmt.Errorf("N: %q is not a number of days (0 or more)", args[1])
			}
			unit := calendar.WorkingDays
			if calendarDays {
				unit = calendar.CalendarDays
			}
			return withCalendar(cmd, jurisdiction, func(cal *calendar.Calendar) error {
				due, err := cal.Due(cmd.Context(), from, n, unit, jurisdiction)
				if err != nil {
					return describe(err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), due)
				return nil
			})
		},
	}
	c.Flags().BoolVar(&calendarDays, "calendar-days", false, "count calendar days (日) instead of working days (工作日)")
	c.Flags().StringVar(&jurisdiction, "jurisdiction", "", "six-digit code of the jurisdiction whose local overrides apply")
	return c
}

func calendarBetweenCommand() *cobra.Command {
	var jurisdiction string
	c := &cobra.Command{
		Use:   "between FROM TO",
		Short: "Print the number of working days after FROM up to and including TO",
		Long: "Counts the working days after FROM up to and including TO, so that `between FROM (add FROM N)`\n" +
			"prints N. When TO is before FROM the count is negative.",
		Example: "  civicflow calendar between 2026-09-24 2026-10-29\n" +
			"  civicflow calendar between 2026-09-24 2026-10-29 --jurisdiction 210102",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			from, err := dateArg("FROM", args[0])
			if err != nil {
				return err
			}
			to, err := dateArg("TO", args[1])
			if err != nil {
				return err
			}
			return withCalendar(cmd, jurisdiction, func(cal *calendar.Calendar) error {
				n, err := cal.WorkingDaysBetween(cmd.Context(), from, to, jurisdiction)
				if err != nil {
					return describe(err)
				}
				fmt.Fprintln(cmd.OutOrStdout(), n)
				return nil
			})
		},
	}
	c.Flags().StringVar(&jurisdiction, "jurisdiction", "", "six-digit code of the jurisdiction whose local overrides apply")
	return c
}

func calendarHolidaysCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "holidays YEAR",
		Short: "List the days off and make-up working days of the State Council's schedule for YEAR",
		Long: "Lists the national schedule, one day a line: the date, \"off\" or \"working\" (a make-up working\n" +
			"day, 调休) and the holiday. Local overrides are listed by `calendar override list`.",
		Example: "  civicflow calendar holidays 2026",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			year, err := strconv.Atoi(args[0])
			if err != nil || year < 1900 || year > 2199 {
				return fmt.Errorf("YEAR: %q is not a year", args[0])
			}
			if !calendar.HasSchedule(year) {
				fmt.Fprintf(cmd.ErrOrStderr(), "no State Council holiday schedule for %d is known to this release: every weekday counts as a working day\n", year)
				return nil
			}
			out := cmd.OutOrStdout()
			for _, d := range calendar.Holidays(year) {
				if d.Kind == calendar.Makeup {
					fmt.Fprintf(out, "%s working %s（调休）\n", d.Date, d.Name.ZH)
				} else {
					fmt.Fprintf(out, "%s off %s\n", d.Date, d.Name.ZH)
				}
			}
			return nil
		},
	}
}

func calendarOverrideCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "override",
		Short: "Manage the local closures and working days of jurisdictions",
		Long: "A local override makes a day closed (no working day) or working in a jurisdiction and every\n" +
			"jurisdiction below it; the most specific override of a day wins. Changes are audited as \"cli\".",
	}
	var note string
	set := &cobra.Command{
		Use:   "set JURISDICTION DAY closed|working",
		Short: "Close a day, or make it a working day, in a jurisdiction and everything below it",
		Example: "  civicflow calendar override set 210100 2026-10-12 closed --note 暴雪停止办公\n" +
			"  civicflow calendar override set 210200 2026-10-07 working",
		Args: cobra.ExactArgs(3),
		RunE: withDatabase(func(cmd *cobra.Command, args []string, db *bun.DB) error {
			o, err := calendar.SetOverride(cmd.Context(), db, calendar.Operator, audit.Actor{Label: "cli"}, args[0], args[1], args[2], note)
			if err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s is %s in %s and below\n", o.Day, o.Kind, o.Jurisdiction)
			return nil
		}),
	}
	set.Flags().StringVar(&note, "note", "", "why, shown to administrators")
	remove := &cobra.Command{
		Use:     "remove JURISDICTION DAY",
		Short:   "Remove the override of a day in a jurisdiction",
		Example: "  civicflow calendar override remove 210100 2026-10-12",
		Args:    cobra.ExactArgs(2),
		RunE: withDatabase(func(cmd *cobra.Command, args []string, db *bun.DB) error {
			if err := calendar.RemoveOverride(cmd.Context(), db, calendar.Operator, audit.Actor{Label: "cli"}, args[0], args[1]); err != nil {
				return describe(err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "override of %s in %s removed\n", args[1], args[0])
			return nil
		}),
	}
	var year int
	list := &cobra.Command{
		Use:     "list",
		Short:   "List every local override",
		Example: "  civicflow calendar override list --year 2026",
		Args:    cobra.NoArgs,
		RunE: withDatabase(func(cmd *cobra.Command, _ []string, db *bun.DB) error {
			overrides, err := calendar.Overrides(cmd.Context(), db, []string{"*"}, year)
			if err != nil {
				return err
			}
			for _, o := range overrides {
				fmt.Fprintf(cmd.OutOrStdout(), "%s %s %-7s %s\n", o.Day, o.Jurisdiction, o.Kind, o.Note)
			}
			return nil
		}),
	}
	list.Flags().IntVar(&year, "year", 0, "only this year")
	cmd.AddCommand(set, remove, list)
	return cmd
}

// dateArg reads a date argument.
func dateArg(name, s string) (calendar.Date, error) {
	d, err := calendar.ParseDate(s)
	if err != nil {
		return d, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

// withCalendar runs fn with a calendar: over the configured database when a jurisdiction's local
// overrides are asked for, else the national schedule alone, which needs no database.
func withCalendar(cmd *cobra.Command, jurisdiction string, fn func(*calendar.Calendar) error) error {
	if jurisdiction == "" {
		return fn(calendar.New(nil))
	}
	return withDatabase(func(cmd *cobra.Command, _ []string, db *bun.DB) error {
		return fn(calendar.New(db))
	})(cmd, nil)
}
