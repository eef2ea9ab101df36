// Package httputil holds what every route group shares: the error→status
// mapper, JSON writing, query-parameter parsing and the route type.
package httputil

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/containerd/errdefs"
)

// StatusFromError is the only place where errors become status codes.
func StatusFromError(err error) int {
	switch {
	case errdefs.IsNotFound(err):
		return http.StatusNotFound
	case errdefs.IsInvalidArgument(err):
		return http.StatusBadRequest
	case errdefs.IsConflict(err), errdefs.IsAlreadyExists(err):
		return http.StatusConflict
	case errdefs.IsNotModified(err):
		return http.StatusNotModified
	case errdefs.IsPermissionDenied(err):
		return http.StatusForbidden
	case errdefs.IsUnauthorized(err):
		return http.StatusUnauthorized
	case errdefs.IsNotImplemented(err):
		return http.StatusNotImplemented
	case errdefs.IsUnavailable(err):
		return http.StatusServiceUnavailable
	case errdefs.IsFailedPrecondition(err):
		return http.StatusPreconditionFailed
	case errdefs.IsCanceled(err), errdefs.IsDeadlineExceeded(err):
		return 499
	default:
		return http.StatusInternalServerError
	}
}

var sentinels = []error{
	errdefs.ErrNotFound, errdefs.ErrInvalidArgument, errdefs.ErrConflict, errdefs.ErrAlreadyExists,
	errdefs.ErrNotModified, errdefs.ErrPermissionDenied, errdefs.ErrUnavailable, errdefs.ErrNotImplemented,
	errdefs.ErrFailedPrecondition, errdefs.ErrUnknown, errdefs.ErrInternal, errdefs.ErrUnauthenticated,
}

// Message is the text shown to the user: the error without the trailing
// classification word the sentinel added when it was wrapped.
func Message(err error) string {
	msg := err.Error()
	for _, s := range sentinels {
		if strings.HasSuffix(msg, ": "+s.Error()) && errors.Is(err, s) {
			return strings.TrimSuffix(msg, ": "+s.Error())
		}
	}
	return msg
}

// WriteError writes Docker's error body {"message": …}.
func WriteError(w http.ResponseWriter, err error) {
	status := StatusFromError(err)
	if status == http.StatusNotModified {
		w.WriteHeader(status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"message": Message(err)})
}
