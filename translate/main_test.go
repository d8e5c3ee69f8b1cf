package translate

import (
	"os"
	"testing"
)

func mkdirTemp() (string, error) { return os.MkdirTemp("", "translate-test-") }

func TestMain(m *testing.M) {
	code := m.Run()
	os.RemoveAll(toyDir)
	os.Exit(code)
}
