package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/uptrace/bun"
	"golang.org/x/term"

	"github.com/civicflow/civicflow/accounts"
	"github.com/civicflow/civicflow/audit"
	"github.com/civicflow/civicflow/policies"
)

func userCommand() *cobra.Command {
	cmd := &cobra.Command{Use: "user", Short: "Manage user accounts"}
	var nu accounts.NewUser
	var roles []string
	var passwordStdin bool
	add := &cobra.Command{
		Use:   "add LOGIN",
		Short: "Create a user, with roles in jurisdictions",
		Long: "Create a user. The password is read from a prompt, or with --password-stdin from the first line of\n" +
			"standard input. Roles are given as ROLE@SCOPE, where SCOPE is a six-digit division code (that\n" +
			"jurisdiction only) or a subtree pattern: 21* for province 210000 and all below it, 2101* for city\n" +
			"210100 and its counties. citizen and org_applicant need no scope.\n\n" +
			"Roles: " + roleNames(),
		Example: "  civicflow user add li.ming --name 李明 --role acceptor@2101*\n" +
			"  echo \"$PASSWORD\" | civicflow user add ops --role admin@21* --password-stdin",
		Args: cobra.ExactArgs(1),
		RunE: withDatabase(func(cmd *cobra.Command, args []string, db *bun.DB) error {
			ctx := cmd.Context()
			grants, err := parseRoles(roles)
			if err != nil {
				return err
			}
			nu.Login = args[0]
			nu.Password, err = readPassword(cmd.InOrStdin(), cmd.ErrOrStderr(), passwordStdin)
			if err != nil {
				return err
			}
			return db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
				u, err := accounts.Create(ctx, tx, audit.Actor{Label: "cli"}, nu)
				if err != nil {
					return describe(err)
				}
				for _, g := range grants {
					if err := policies.GrantSystem(ctx, tx, u.ID, g.Role, g.Pattern); err != nil {
						return fmt.Errorf("role %s@%s: %w", g.Role, g.Pattern, describe(err))
					}
				}
				fmt.Fprintf(cmd.OutOrStdout(), "created user %s (id %d)\n", u.Login, u.ID)
				return nil
			})
		}),
	}
	add.Flags().StringVar(&nu.DisplayName, "name", "", "the person's name")
	add.Flags().StringVar(&nu.Email, "email", "", "e-mail address for notifications")
	add.Flags().StringVar(&nu.Phone, "phone", "", "mobile number for SMS notifications")
	add.Flags().StringVar(&nu.Locale, "locale", "zh-CN", "language of the user's messages: zh-CN or en")
	add.Flags().StringArrayVar(&roles, "role", nil, "ROLE@SCOPE to grant (repeatable)")
	add.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
	cmd.AddCommand(add)
	return cmd
}

func roleNames() string {
	names := make([]string, 0, len(policies.Roles))
	for _, r := range policies.Roles {
		names = append(names, r.Name)
	}
	return strings.Join(names, ", ")
}

// parseRoles reads ROLE@SCOPE arguments.
func parseRoles(specs []string) ([]policies.Grant, error) {
	var out []policies.Grant
	for _, s := range specs {
		role, scope, found := strings.Cut(s, "@")
		if _, ok := policies.RoleByName(role); !ok {
			return nil, fmt.Errorf("--role %s: unknown role %q (roles: %s)", s, role, roleNames())
		}
		if !found {
			if policies.StaffRole(role) {
				return nil, fmt.Errorf("--role %s: staff roles need a scope, e.g. %s@210100 or %s@2101*", s, role, role)
			}
			scope = "*"
		}
		out = append(out, policies.Grant{Role: role, Pattern: scope})
	}
	return out, nil
}

// readPassword asks on the terminal (twice, without echo), or reads one line of input.
func readPassword(in io.Reader, prompt io.Writer, fromStdin bool) (string, error) {
	if f, ok := in.(*os.File); ok && !fromStdin && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(prompt, "Password: ")
		a, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
		fmt.Fprint(prompt, "Repeat password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(prompt)
		if err != nil {
			return "", fmt.Errorf("reading password: %w", err)
		}
		if string(a) != string(b) {
			return "", errors.New("the two passwords differ")
		}
		return string(a), nil
	}
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("reading password from standard input: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), nil
}
