package main

import (
	"fmt"
	"strconv"
	"strings"
)

// hostOptions are the command-line options of the language host.
//
// The Pulumi CLI (v3.248.0, sdk/go/common/resource/plugin) launches a language plugin as
//
//	pulumi-language-nodejs [--logtostderr] [-v=N] [--tracing <url>] <engine-address>
//
// with the engine address always last. Older and newer CLIs pass a few more flags (for example
// -root); anything we do not know is ignored rather than fatal, so a CLI upgrade cannot stop
// the host from starting.
type hostOptions struct {
	engineAddress string // the engine's gRPC address; may also arrive later through Handshake
	tracing       string // a Zipkin-compatible endpoint, forwarded to the program
	root          string // the project root directory, if the CLI tells us
	verbose       int    // -v=N: our own log verbosity
	logToStderr   bool   // --logtostderr: our own logs may go to stderr
}

// flagsWithValue are the known flags that take a value, either as -f=v or as -f v.
var flagsWithValue = map[string]bool{"tracing": true, "root": true, "v": true}

// parseHostArgs parses the host's arguments (without the program name).
func parseHostArgs(args []string) (hostOptions, error) {
	var o hostOptions
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			positional = append(positional, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			positional = append(positional, a)
			continue
		}
		name, value, hasValue := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if flagsWithValue[name] && !hasValue {
			if i+1 >= len(args) {
				return o, fmt.Errorf("flag -%s needs a value", name)
			}
			i++
			value, hasValue = args[i], true
		}
		switch name {
		case "tracing":
			o.tracing = value
		case "root":
			o.root = value
		case "v":
			n, err := strconv.Atoi(value)
			if err != nil {
				return o, fmt.Errorf("flag -v needs a number, got %q", value)
			}
			o.verbose = n
		case "logtostderr":
			o.logToStderr = !hasValue || value != "false"
		default:
			// Unknown flag: ignored on purpose (see hostOptions). A separate value of an unknown
			// flag lands in positional, which is harmless since the engine address comes last.
		}
	}
	if len(positional) > 0 {
		o.engineAddress = positional[len(positional)-1]
	}
	return o, nil
}
