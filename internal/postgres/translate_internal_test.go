package postgres

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/p4w-nhs/p4w/internal/domain"
)

// A foreign key refusing a write is the safety net behind the services' checks of references:
// it must answer an invalid field, as they do, and never a conflict, which would tell an id that
// exists nowhere apart from one of another trust (which the key accepts).
func TestAForeignKeyViolationIsAnInvalidField(t *testing.T) {
	t.Parallel()
	pg := &pgconn.PgError{Code: "23503", TableName: "vacancies", ConstraintName: "vacancies_employer_organisation_id_fkey"}
	for name, err := range map[string]error{
		"from pgx":  pg,
		"from GORM": fmt.Errorf("%w: %w", gorm.ErrForeignKeyViolated, pg), // as TranslateError wraps it
	} {
		got := translate(err, "vacancy")
		e, ok := got.(*domain.Error)
		if !ok || e.Code != domain.CodeInvalid || len(e.Fields) != 1 || e.Fields[0].Field != "employer_organisation_id" {
			t.Errorf("%s: translate = %#v, want invalid employer_organisation_id", name, got)
		}
	}
}
