package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/database"
	"github.com/civicflow/civicflow/migrations"
	"github.com/civicflow/civicflow/problem"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise the module version.
var version = ""

func rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "civicflow",
		Short: "CivicFlow: the online service hall and workflow engine of a civil-affairs department",
		Long: "CivicFlow runs the online service hall of a provincial civil-affairs department.\n\n" +
			"With no configuration it uses a SQLite file under ./data and an in-process Redis.\n" +
			"Set CIVICFLOW_DATABASE_URL=postgres://… and CIVICFLOW_REDIS_URL=redis://… for production.\n" +
			"Run `civicflow config` to see every setting.",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(serveCommand(), workerCommand(), migrateCommand(), userCommand(), jurisdictionCommand(),
		catalogCommand(), auditCommand(), statisticsCommand(),
		calendarCommand(), registerCommand(), campaignCommand(),
		disclosureCommand(),
		configCommand(), versionCommand())
	return root
}

func versionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of this binary",
		Args:  cobra.NoArgs,
		Run: func(cmd *cobra.Command, _ []string) {
			fmt.Fprintln(cmd.OutOrStdout(), "civicflow", buildVersion())
		},
	}
}

func buildVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				return bi.Main.Version + " (" + s.Value[:12] + ")"
			}
		}
		return bi.Main.Version
	}
	return "unknown"
}

func configCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "List every CIVICFLOW_* setting with its default, and check the current environment",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			out := cmd.OutOrStdout()
			for _, r := range config.Table() {
				def := r.Default
				if def == "" {
					def = "(empty)"
				}
				secret := ""
				if r.Secret {
					secret = " [secret; also " + r.Name + "_FILE]"
				}
				fmt.Fprintf(out, "%s\n    default: %s%s\n    %s\n", r.Name, def, secret, r.Help)
			}
			if _, err := config.FromEnvironment(); err != nil {
				return fmt.Errorf("the current environment has bad settings:\n%w", err)
			}
			fmt.Fprintln(out, "\nThe current environment is valid.")
			return nil
		},
	}
}

// loadConfig reads the environment and sets up logging; a bad value stops the command with a message
// that names the variable.
func loadConfig() (config.Config, error) {
	cfg, err := config.FromEnvironment()
	if err != nil {
		return cfg, fmt.Errorf("configuration:\n%w", err)
	}
	level := map[string]slog.Level{"debug": slog.LevelDebug, "info": slog.LevelInfo, "warn": slog.LevelWarn, "error": slog.LevelError}[cfg.LogLevel]
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler = slog.NewTextHandler(os.Stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(os.Stderr, opts)
	}
	slog.SetDefault(slog.New(h))
	return cfg, nil
}

// openDatabase opens the configured database.
func openDatabase(ctx context.Context, cfg config.Config) (*bun.DB, error) {
	if cfg.IsPostgres() {
		return database.OpenPostgres(ctx, cfg.DatabaseURL, cfg.DatabaseTimeout)
	}
	return database.OpenSQLite(ctx, cfg.SQLitePath())
}

// withDatabase makes a command body that runs with the configured database open.
func withDatabase(fn func(cmd *cobra.Command, args []string, db *bun.DB) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		cfg, err := loadConfig()
		if err != nil {
			return err
		}
		db, err := openDatabase(cmd.Context(), cfg)
		if err != nil {
			return err
		}
		defer db.Close()
		return fn(cmd, args, db)
	}
}

// requireSchema checks that the database is migrated, so that a command on a database never
// migrated says what to do rather than "no such table".
func requireSchema(ctx context.Context, db *bun.DB) error {
	all, err := migrations.List(ctx, db)
	if err != nil {
		return err
	}
	var pending []string
	for _, m := range all {
		if !m.Applied {
			pending = append(pending, m.Name)
		}
	}
	switch {
	case len(pending) == len(all) && len(all) > 0:
		return fmt.Errorf("the database has no schema yet (%d pending migrations): run `civicflow migrate up`", len(pending))
	case len(pending) > 0:
		return fmt.Errorf("the database has %d pending migrations (%s): run `civicflow migrate up`",
			len(pending), strings.Join(pending, ", "))
	}
	return nil
}

// describe words a problem for the terminal: its message and every field error.
func describe(err error) error {
	p, ok := problem.As(err)
	if !ok {
		return err
	}
	var b strings.Builder
	b.WriteString(p.Message.EN)
	for _, f := range p.Fields {
		fmt.Fprintf(&b, "\n  %s: %s", f.Path, f.Message.EN)
	}
	return errors.New(b.String())
}
