package tabular_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/p4w-nhs/p4w/api"
	"github.com/p4w-nhs/p4w/internal/tabular"
)

// A number cell is judged by its schema as a number: 22.5 hours a week is taken, 60 is
// refused by the contract's maximum, naming the column.
func TestContractJudgesNumberCellsAsNumbers(t *testing.T) {
	c, err := tabular.NewContract(api.Spec)
	if err != nil {
		t.Fatal(err)
	}
	row := func(hours string) tabular.Row {
		cells := make([]string, len(tabular.Placements.Columns))
		cells[tabular.Placements.Column("hours_per_week")] = hours
		return tabular.Row{Number: 2, Cells: cells}
	}
	if err := c.Check(tabular.Placements, row("22.5")); err != nil {
		t.Errorf("22.5 hours a week refused: %v", err)
	}
	err = c.Check(tabular.Placements, row("60"))
	var re *tabular.RowError
	if !errors.As(err, &re) || len(re.Errors) != 1 || re.Errors[0].Column != "hours_per_week" || !strings.Contains(re.Errors[0].Message, "48") {
		t.Errorf("60 hours a week: %v, want a refusal of hours_per_week naming the maximum", err)
	}
}
