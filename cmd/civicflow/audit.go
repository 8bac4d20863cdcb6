package main

import "github.com/spf13/cobra"

// auditCommand is being written: verify.
func auditCommand() *cobra.Command {
	return &cobra.Command{Use: "audit", Short: "Check the audit trail"}
}
