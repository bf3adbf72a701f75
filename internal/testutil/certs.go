package testutil

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/asyncnet/asyncnet/internal/certs"
)

// NewCerts makes throwaway certificates (see package certs), failing t if
// it cannot.
func NewCerts(t testing.TB) *certs.Certs {
	t.Helper()
	c, err := certs.New()
	require.NoError(t, err)
	return c
}
