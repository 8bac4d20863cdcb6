package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"

	"github.com/civicflow/civicflow/catalog"
	"github.com/civicflow/civicflow/config"
	"github.com/civicflow/civicflow/workflow"
)

// catalogDirEnv names the setting of the directory of administrators' definitions, for help texts.
const catalogDirEnv = "CIVICFLOW_CATALOG_DIR"

// catalogDir is the configured directory of administrators' definitions ("" for none).
func catalogDir() (string, error) {
	cfg, err := config.FromEnvironment()
	if err != nil {
		return "", fmt.Errorf("configuration:\n%w", err)
	}
	return cfg.CatalogDir, nil
}

func catalogCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "Check, list and draw service-item definitions",
		Long: "Service items (事项) are YAML files: the built-in ones compiled into the binary, plus those of\n" +
			catalogDirEnv + " (items/*.yaml and forms/*.yaml), which add items or replace built-in ones.\n" +
			"docs/catalog.md describes the format.",
	}
	cmd.AddCommand(catalogLintCommand(), catalogVersionsCommand(), catalogGraphCommand())
	return cmd
}

func catalogLintCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "lint [DIR]",
		Short: "Check definitions and print every problem as file:line: message",
		Long: "Check the built-in definitions and, when DIR is given, the files of DIR (items/*.yaml and\n" +
			"forms/*.yaml) as the server reads " + catalogDirEnv + ": as additions to and replacements of the\n" +
			"built-in ones. Exits with status 1 when there is any problem.",
		Example: "  civicflow catalog lint\n  civicflow catalog lint /etc/civicflow/catalog",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			}
			ds := catalog.Lint(catalog.Builtin, dir, workflow.CatalogNames())
			for _, d := range ds {
				fmt.Fprintln(cmd.OutOrStdout(), d)
			}
			if len(ds) > 0 {
				return fmt.Errorf("%d problem(s) in the catalog", len(ds))
			}
			c, _, err := catalog.Load(catalog.Builtin, dir, workflow.CatalogNames())
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "no problems: %d item(s), %d form(s)\n", len(c.Items()), countForms(c))
			return nil
		},
	}
}

// countForms counts the forms the loaded items use.
func countForms(c *catalog.Catalog) int {
	ids := map[string]bool{}
	for _, it := range c.Items() {
		for id := range it.Forms {
			ids[id] = true
		}
	}
	return len(ids)
}

func catalogVersionsCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "versions ITEM",
		Short: "List the stored versions of an item and how many open cases each has",
		Long: "List every version of the item's definition that the server has stored (one per content hash,\n" +
			"oldest first) with the number of open cases pinned to it. A case finishes on the version it\n" +
			"started on, so an old version stays in use until its last case closes. The version in effect\n" +
			"for new cases (built-in plus " + catalogDirEnv + ") is marked with *.",
		Example: "  civicflow catalog versions social-group-establishment",
		Args:    cobra.ExactArgs(1),
		RunE: withDatabase(func(cmd *cobra.Command, args []string, db *bun.DB) error {
			vs, err := catalog.Versions(cmd.Context(), db, args[0])
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if len(vs) == 0 {
				fmt.Fprintf(out, "no stored versions of %s (versions are stored when the server starts)\n", args[0])
				return nil
			}
			current := ""
			if dir, err := catalogDir(); err == nil {
				if c, _, err := catalog.Load(catalog.Builtin, dir, workflow.CatalogNames()); err == nil {
					if it, ok := c.Item(args[0]); ok {
						current = it.Hash
					}
				}
			}
			fmt.Fprintf(out, "  %-12s  %-20s  %10s  %s\n", "VERSION", "FIRST LOADED (UTC)", "OPEN CASES", "SOURCE")
			for _, v := range vs {
				mark := " "
				if v.Hash == current {
					mark = "*"
				}
				fmt.Fprintf(out, "%s %-12s  %-20s  %10d  %s\n", mark, v.Hash[:min(12, len(v.Hash))],
					v.LoadedAt.UTC().Format("2006-01-02 15:04:05"), v.OpenCases, v.Source)
			}
			return nil
		}),
	}
}

func catalogGraphCommand() *cobra.Command {
	var format, locale, dir string
	cmd := &cobra.Command{
		Use:   "graph ITEM",
		Short: "Draw an item's workflow as Mermaid, Graphviz DOT or SVG",
		Long: "Print the flowchart of an item's workflow. svg is the drawing the guide page shows, made by\n" +
			"CivicFlow itself; mermaid and dot are for documents and for Graphviz.",
		Example: "  civicflow catalog graph social-group-establishment --format svg > flow.svg\n" +
			"  civicflow catalog graph social-group-establishment --format mermaid --locale en\n" +
			"  civicflow catalog graph social-group-establishment --format dot | dot -Tpng > flow.png",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if !cmd.Flags().Changed("dir") {
				var err error
				if dir, err = catalogDir(); err != nil {
					return err
				}
			}
			c, warnings, err := catalog.Load(catalog.Builtin, dir, workflow.CatalogNames())
			if err != nil {
				return err
			}
			for _, w := range warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "warning:", w)
			}
			it, ok := c.Item(args[0])
			if !ok {
				var codes []string
				for _, it := range c.Items() {
					codes = append(codes, it.Code)
				}
				return fmt.Errorf("no item %q; the items are: %s", args[0], strings.Join(codes, ", "))
			}
			out := cmd.OutOrStdout()
			switch format {
			case "mermaid":
				fmt.Fprint(out, catalog.Mermaid(it, locale))
			case "dot":
				fmt.Fprint(out, catalog.Dot(it, locale))
			case "svg":
				_, err = out.Write(catalog.SVG(it, locale))
			default:
				return fmt.Errorf("--format must be mermaid, dot or svg, not %q", format)
			}
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "svg", "mermaid, dot or svg")
	cmd.Flags().StringVar(&locale, "locale", "zh-CN", "language of the names: zh-CN or en")
	cmd.Flags().StringVar(&dir, "dir", "", "directory of additional definitions (default: $"+catalogDirEnv+")")
	return cmd
}
