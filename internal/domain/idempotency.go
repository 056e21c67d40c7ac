package domain

import "github.com/google/uuid"

// IdempotentReply is the first answer to a POST made with an Idempotency-Key.
type IdempotentReply struct {
	Scope       string // the caller
	Key         string
	RequestHash []byte
	Status      int
	Header      map[string][]string
	Body        []byte
	ResourceID  uuid.UUID // the record the reply carried, so that erasing it forgets the reply; uuid.Nil if none
}
