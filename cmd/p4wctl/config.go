package main

import (
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// config is what login keeps: where the server is and the tokens to call it with. The file
// holds credentials, so it is readable by its owner only (0600, in a 0700 directory).
type config struct {
	Server       string    `json:"server"`
	AccessToken  string    `json:"access_token"`
	RefreshToken string    `json:"refresh_token,omitempty"` // a user's; an API client gets none
	ExpiresAt    time.Time `json:"expires_at"`              // of the access token
	ClientID     string    `json:"client_id,omitempty"`     // set when an API client signed in
}

const configName = "config.json"

// errNoConfig is loadConfig's error when nobody has signed in.
var errNoConfig = errors.New("no configuration")

// configDir is the directory of p4wctl's files: p4wctl under the user's configuration
// directory ($XDG_CONFIG_HOME, or ~/.config, on Linux).
func (a *App) configDir() (string, error) {
	base, err := a.ConfigDir()
	if err != nil {
		return "", authError("no configuration directory to keep the sign-in in (%v); set XDG_CONFIG_HOME, or P4W_SERVER and P4W_TOKEN", err)
	}
	return filepath.Join(base, "p4wctl"), nil
}

func loadConfig(dir string) (config, error) {
	var c config
	data, err := os.ReadFile(filepath.Join(dir, configName))
	if errors.Is(err, fs.ErrNotExist) {
		return c, errNoConfig
	}
	if err != nil {
		return c, authError("read the sign-in: %v", err)
	}
	if err := json.Unmarshal(data, &c); err != nil || c.Server == "" || c.AccessToken == "" {
		return c, authError("the sign-in kept in %s is unreadable; run p4wctl login again", filepath.Join(dir, configName))
	}
	return c, nil
}

// saveConfig replaces the file whole (a new file renamed over the old), so that a reader
// never sees half of it and a crash never leaves a torn one.
func saveConfig(dir string, c config) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return authError("could not keep the sign-in: %v", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil { // MkdirAll leaves an existing directory's mode
		return authError("could not keep the sign-in: %v", err)
	}
	data, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".config-*.json") // created 0600
	if err != nil {
		return authError("could not keep the sign-in: %v", err)
	}
	defer os.Remove(f.Name()) // after the rename, there is nothing left to remove
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return authError("could not keep the sign-in: %v", err)
	}
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return authError("could not keep the sign-in: %v", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return authError("could not keep the sign-in: %v", err)
	}
	if err := f.Close(); err != nil {
		return authError("could not keep the sign-in: %v", err)
	}
	if err := os.Rename(f.Name(), filepath.Join(dir, configName)); err != nil {
		return authError("could not keep the sign-in: %v", err)
	}
	return nil
}

func removeConfig(dir string) error {
	err := os.Remove(filepath.Join(dir, configName))
	if err == nil || errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return authError("could not forget the sign-in: %v", err)
}
