// Package productcard pins the libraries the product card fixes for
// Parley in go.mod until the packages that use them exist: today the
// terminal UI library, for tui/. It has no code and nothing imports it.
package productcard

import (
	_ "github.com/charmbracelet/bubbletea" // tui/
)
