// Package fault gives every error two faces: a kind and a safe, translatable
// message for the member, and a cause that is only logged. Feature packages
// return these; the server's single error handler maps kinds to statuses.
package fault

import (
	"errors"
	"fmt"
)

// Kind classifies an error for the HTTP status and the message shown.
type Kind int

const (
	Internal Kind = iota
	Invalid
	Unauthenticated
	Forbidden
	NotFound
	Conflict
	TooLarge
	RateLimited
	Unavailable
)

// Error is an error with a kind, a message-catalog key and its arguments.
type Error struct {
	Kind Kind
	// Key names the message in the catalogs; Args fill its placeholders.
	Key  string
	Args []any
	// Field names the form field at fault, when there is one.
	Field string
	// Cause is logged, never shown.
	Cause error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %v", e.Key, e.Cause)
	}
	return e.Key
}

func (e *Error) Unwrap() error { return e.Cause }

// New returns an error of kind with a message key.
func New(kind Kind, key string, args ...any) *Error {
	return &Error{Kind: kind, Key: key, Args: args}
}

// Wrap returns an error of kind with a message key and a logged cause.
func Wrap(kind Kind, cause error, key string, args ...any) *Error {
	return &Error{Kind: kind, Key: key, Args: args, Cause: cause}
}

// OnField attaches the form field at fault.
func (e *Error) OnField(name string) *Error { e.Field = name; return e }

// As extracts a *Error from err's chain.
func As(err error) (*Error, bool) {
	var fe *Error
	ok := errors.As(err, &fe)
	return fe, ok
}
