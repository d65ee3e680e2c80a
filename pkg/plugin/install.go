package plugin

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// PluginsRoot is where the stock kubebuilder binary looks for external plugins, by its own
// rules: $EXTERNAL_PLUGINS_PATH, else $XDG_CONFIG_HOME/kubebuilder/plugins, else the user's
// configuration folder (~/.config on Linux, ~/Library/Application Support on macOS).
func PluginsRoot() (string, error) {
	if p := os.Getenv("EXTERNAL_PLUGINS_PATH"); p != "" {
		return p, nil
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "kubebuilder", "plugins"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	switch runtime.GOOS {
	case "linux":
		return filepath.Join(home, ".config", "kubebuilder", "plugins"), nil
	case "darwin":
		return filepath.Join(home, "Library", "Application Support", "kubebuilder", "plugins"), nil
	}
	return "", fmt.Errorf("kubebuilder loads external plugins only on linux and darwin, not %s", runtime.GOOS)
}

// Install writes the executable that kubebuilder finds as the plugin dsoi.datainfra.io/v1-alpha:
// root/dsoi.datainfra.io/v1-alpha/dsoi.datainfra.io, a shell script that runs
// `executable kubebuilder external`. It returns the script's path.
func Install(root, executable string) (string, error) {
	if !filepath.IsAbs(executable) {
		return "", fmt.Errorf("dsoi-gen's path %q is not absolute", executable)
	}
	// `go run` and `go test` build into temporary folders that are gone once they exit.
	if strings.Contains(executable, string(filepath.Separator)+"go-build") {
		return "", fmt.Errorf("%s is a temporary build: install dsoi-gen first (go install ./cmd/dsoi-gen, or make build) and run install from that binary", executable)
	}
	dir := filepath.Join(root, Name, Version)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	script := fmt.Sprintf("#!/bin/sh\n# Kubebuilder external plugin %s, installed by `dsoi-gen kubebuilder install`.\nexec %s kubebuilder external \"$@\"\n",
		Key, shellQuote(executable))
	target := filepath.Join(dir, Name)
	if err := os.WriteFile(target, []byte(script), 0o755); err != nil {
		return "", err
	}
	// WriteFile keeps the mode of a file that was already there.
	return target, os.Chmod(target, 0o755)
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
