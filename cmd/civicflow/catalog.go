package main

import "github.com/spf13/cobra"

// catalogCommand is being written: lint, versions, graph.
func catalogCommand() *cobra.Command {
	return &cobra.Command{Use: "catalog", Short: "Check, list and draw service-item definitions"}
}
