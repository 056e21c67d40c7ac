package config_test

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/internal/config"
)

// Settings names exactly the variables Load reads, and each documented default is the one
// Load applies: setting a variable to its documented default changes nothing.
func TestSettingsDescribeWhatLoadReads(t *testing.T) {
	var read []string
	base := map[string]string{"DATABASE_URL": "postgres://localhost/p4w"}
	want, err := config.Load(func(name string) string {
		read = append(read, name)
		return base[name]
	})
	if err != nil {
		t.Fatal(err)
	}
	var listed []string
	for _, s := range config.Settings {
		listed = append(listed, s.Name)
	}
	slices.Sort(read)
	if got := slices.Sorted(slices.Values(listed)); !slices.Equal(got, slices.Compact(read)) {
		t.Errorf("config.Settings lists %v\nLoad reads %v", got, read)
	}
	for _, s := range config.Settings {
		if s.Default == "" {
			continue
		}
		got, err := config.Load(func(name string) string {
			if name == s.Name {
				return s.Default
			}
			return base[name]
		})
		if err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s=%s (its documented default) gives another configuration than leaving it unset (err %v)", s.Name, s.Default, err)
		}
	}
}

// README.md's Configuration table lists the same variables as config.Settings.
func TestReadmeListsEverySetting(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(readme), "\n## Configuration\n")
	if !ok {
		t.Fatal("README.md has no Configuration section")
	}
	table, _, _ = strings.Cut(table, "\n#")
	name := regexp.MustCompile("`((?:DATABASE_URL|P4W_)[A-Z_]*)`")
	var documented []string
	for line := range strings.Lines(table) {
		if first, _, ok := strings.Cut(strings.TrimPrefix(line, "| "), " | "); ok && strings.HasPrefix(line, "| `") {
			for _, m := range name.FindAllStringSubmatch(first, -1) {
				documented = append(documented, m[1])
			}
		}
	}
	var listed []string
	for _, s := range config.Settings {
		listed = append(listed, s.Name)
	}
	listed = append(listed, "P4W_ADMIN_PASSWORD") // read by admin bootstrap alone
	slices.Sort(documented)
	slices.Sort(listed)
	if !slices.Equal(documented, listed) {
		t.Errorf("README.md's Configuration table lists %v\nwant %v", documented, listed)
	}
}
