package domain

import (
	"fmt"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// FundedYears is how many years an award funds: HEE awards three, reducing year on year.
const FundedYears = 3

// FundingAward is HEE's funding of a trust or a collaboration (the recipient,
// OrganisationID) to run a programme for three years, awarded in a tender round.
type FundingAward struct {
	ID             uuid.UUID
	OrganisationID uuid.UUID // the recipient
	ProgrammeID    uuid.UUID
	TenderRound    string // the financial year of the tender, "2021/22"
	Years          [FundedYears]FundedYear
	DeletedAt      *time.Time
	CreatedAt      time.Time
	UpdatedAt      time.Time
	Version        int64
}

// FundedYear is one year of an award: the funding, and the fewest participants the recipient
// must work with in return.
type FundedYear struct {
	AmountPence     int64
	MinParticipants int
}

// FinancialYear is one NHS financial year, 1 April to 31 March.
type FinancialYear struct {
	Name             string // "2025/26"
	StartsOn, EndsOn time.Time
}

// FundedYear returns the financial year of funded year n (1 to 3): year 1 is the tender
// round's own financial year. ok is false when the tender round is malformed.
func (a FundingAward) FundedYear(n int) (FinancialYear, bool) {
	first, ok := tenderRoundStart(a.TenderRound)
	if !ok || n < 1 || n > FundedYears {
		return FinancialYear{}, false
	}
	y := first + n - 1
	return FinancialYear{
		Name:     fmt.Sprintf("%d/%02d", y, (y+1)%100),
		StartsOn: time.Date(y, time.April, 1, 0, 0, 0, 0, time.UTC),
		EndsOn:   time.Date(y+1, time.March, 31, 0, 0, 0, 0, time.UTC),
	}, true
}

// TotalPence is the three years' funding together.
func (a FundingAward) TotalPence() int64 {
	var t int64
	for _, y := range a.Years {
		t += y.AmountPence
	}
	return t
}

// tenderRoundStart reads "2021/22" as 2021; ok is false unless the second year follows the first.
func tenderRoundStart(round string) (int, bool) {
	if len(round) != 7 || round[4] != '/' {
		return 0, false
	}
	for i, c := range round {
		if i != 4 && (c < '0' || c > '9') {
			return 0, false
		}
	}
	first, _ := strconv.Atoi(round[:4])
	second, _ := strconv.Atoi(round[5:])
	return first, (first+1)%100 == second
}

// Validate checks the rules the contract cannot express: a tender round whose second year
// follows its first, and amounts that never rise from one year to the next (each year's is
// named, as the contract's years[i].amount_pence, counting from 0).
func (a FundingAward) Validate() error {
	var v Validator
	_, ok := tenderRoundStart(a.TenderRound)
	v.Check(ok, "tender_round", "must be a financial year such as 2024/25, the second year the one after the first")
	for i := 1; i < FundedYears; i++ {
		v.Check(a.Years[i].AmountPence <= a.Years[i-1].AmountPence, fmt.Sprintf("years[%d].amount_pence", i),
			fmt.Sprintf("must not be more than year %d's %d: funding reduces year on year", i, a.Years[i-1].AmountPence))
	}
	return v.Err()
}

// FundingAwardFilter narrows a list of funding awards.
type FundingAwardFilter struct {
	IDs            []uuid.UUID // only these awards, when not empty
	OrganisationID *uuid.UUID  // the recipient
	// ServingOrganisationID: the awards a cohort of this organisation may be delivered
	// under, its own and those of the collaborations it belongs to.
	ServingOrganisationID *uuid.UUID
	ProgrammeID           *uuid.UUID
	TenderRound           *string
	IncludeDeleted        bool
}

// FundingAwardChange is a merge patch of a funding award. The recipient and the programme
// are fixed: cohorts delivered under the award were checked against them.
type FundingAwardChange struct {
	TenderRound *string
	Years       *[FundedYears]FundedYear
}

// Apply changes a in place.
func (c FundingAwardChange) Apply(a *FundingAward) {
	if c.TenderRound != nil {
		a.TenderRound = *c.TenderRound
	}
	if c.Years != nil {
		a.Years = *c.Years
	}
}

// FundingAwardRepository stores funding awards: within the caller's reach, and for a
// collaboration's member trust, the collaboration's awards too.
type FundingAwardRepository = Store[FundingAward, FundingAwardFilter]
