package domain

// IdempotentReply is the first answer to a POST made with an Idempotency-Key.
type IdempotentReply struct {
	Scope        string // the caller
	Key          string
	RequestHash  []byte
	Status       int
	Header       map[string][]string
	Body         []byte
	ResourcePath string
}
