package main

import (
	"context"
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is the release of this binary. Release builds set it with
//
//	go build -ldflags "-X main.version=v1.2.3" ./cmd/parley
//
// It is the only package-level variable of this command and is never
// written at run time.
var version = "dev"

func newVersionCommand() *Command {
	return &Command{
		Name:  "version",
		Short: "print the version and build of this binary",
		Long: `
Version prints the release of this binary, the Go version and platform it
was built with and, when the build recorded it, the VCS revision (with
"+dirty" for a modified work tree). "parley --version" is the same.

EXAMPLES
	parley version
	parley --version
`,
		Run: func(_ context.Context, s *Streams, args []string) error {
			if len(args) > 0 {
				return usagef(nil, "unexpected argument %q", args[0])
			}
			info, ok := debug.ReadBuildInfo()
			if !ok {
				info = nil
			}
			_, err := fmt.Fprintln(s.Out, versionString(version, info))
			return err
		},
	}
}

// versionString formats the version line, e.g.
//
//	parley v1.2.3 go1.26.8 linux/amd64 rev 0123456789ab+dirty
//
// rel is the -ldflags version; when it is "dev" and info names a release
// of the module (go install ...@v1.2.3, or a build at a tag), that version
// is used. info may be nil.
func versionString(rel string, info *debug.BuildInfo) string {
	goVersion := runtime.Version()
	var rev string
	var dirty bool
	if info != nil {
		if rel == "dev" && isRelease(info.Main.Version) {
			rel = info.Main.Version
		}
		if info.GoVersion != "" {
			goVersion = info.GoVersion
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				rev = s.Value
			case "vcs.modified":
				dirty = s.Value == "true"
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "parley %s %s %s/%s", rel, goVersion, runtime.GOOS, runtime.GOARCH)
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		b.WriteString(" rev " + rev)
		if dirty {
			b.WriteString("+dirty")
		}
	}
	return b.String()
}

// isRelease reports whether v, a main-module version from the build info,
// names a release: not "(devel)", not a pseudo-version such as
// v0.0.0-20260102150405-0123456789ab, and not a modified work tree.
func isRelease(v string) bool {
	if v == "" || v == "(devel)" || strings.HasSuffix(v, "+dirty") {
		return false
	}
	pseudo := regexp.MustCompile(`[-.][0-9]{14}-[0-9a-f]{12}$`)
	return !pseudo.MatchString(v)
}
