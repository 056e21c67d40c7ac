// Package domain holds p4w's entities, their rules and the error codes every layer speaks.
// It imports nothing of HTTP or storage.
package domain

import (
	"errors"
	"fmt"
)

// Code classifies an error; the HTTP layer maps each code to one status in one table.
type Code string

const (
	CodeInvalid            Code = "invalid"             // the input breaks a rule
	CodeNotFound           Code = "not_found"           // no such record, or not visible to the caller
	CodeConflict           Code = "conflict"            // the request clashes with the current state
	CodePreconditionFailed Code = "precondition_failed" // If-Match does not match the current version
	CodeUnauthenticated    Code = "unauthenticated"     // no or bad credentials
	CodeForbidden          Code = "forbidden"           // authenticated, but not allowed
	CodeRateLimited        Code = "rate_limited"        // too many attempts
	CodeUnavailable        Code = "unavailable"         // a dependency does not answer
)

// FieldError names one invalid field.
type FieldError struct {
	Field   string
	Message string
}

// Error is an error the caller can act on. Anything else is an internal error.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
}

func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	return fmt.Sprintf("%s: %s (%s: %s)", e.Code, e.Message, e.Fields[0].Field, e.Fields[0].Message)
}

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid builds a validation error for one field.
func Invalid(field, message string) *Error {
	return &Error{Code: CodeInvalid, Message: "the request is invalid", Fields: []FieldError{{field, message}}}
}

// NotFound is the answer for a missing record and for one the caller may not see alike.
func NotFound(what string) *Error {
	return Errorf(CodeNotFound, "%s not found", what)
}

// ErrNoChange, returned by the change function of a repository's Update, leaves the record
// as it is: no write, no new version, nothing for a syncing client to fetch again.
var ErrNoChange = errors.New("no change")

// ErrorCode returns the code of err, or "" for an internal error.
func ErrorCode(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// Validator gathers field errors so that a caller hears of every invalid field at once.
type Validator struct{ fields []FieldError }

// Check records message against field when ok is false.
func (v *Validator) Check(ok bool, field, message string) {
	if !ok {
		v.fields = append(v.fields, FieldError{field, message})
	}
}

// Err returns the gathered errors as one *Error, or nil.
func (v *Validator) Err() error {
	if len(v.fields) == 0 {
		return nil
	}
	return &Error{Code: CodeInvalid, Message: "the request is invalid", Fields: v.fields}
}
