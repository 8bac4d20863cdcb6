// Command civicflow is CivicFlow's one binary: the web server, the background worker, migrations and
// administration, as subcommands.
package main

import (
	"fmt"
	"os"

	"github.com/civicflow/civicflow/queue"
)

func main() {
	queue.LogRedisAtDebug()
	if err := rootCommand().Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "civicflow:", err)
		os.Exit(1)
	}
}
