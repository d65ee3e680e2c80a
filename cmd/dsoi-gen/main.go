// Command dsoi-gen generates Kubernetes operators that follow the DSOI spec from a short
// description of a distributed data system.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/dsoi-gen/dsoi-gen/pkg/model"
)

func main() {
	if err := newRootCommand().Execute(); err != nil {
		var problems model.Problems
		if errors.As(err, &problems) {
			fmt.Fprintf(os.Stderr, "dsoi-gen: the description has %d problem(s):\n%v\n", len(problems), problems)
		} else {
			fmt.Fprintln(os.Stderr, "dsoi-gen:", err)
		}
		// Some failures have their own exit code: 2 for an upgrade that left conflicts.
		var coded interface{ ExitCode() int }
		if errors.As(err, &coded) {
			os.Exit(coded.ExitCode())
		}
		os.Exit(1)
	}
}
