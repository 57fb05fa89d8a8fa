/* Status codes: names, errno mapping, errors that carry a code
 * (docs/ttrpc.md "Status codes"). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ttrpc.h"

/* google.rpc.Code names, indexed by code. */
static const char *const code_names[] = {
	"OK",
	"CANCELLED",
	"UNKNOWN",
	"INVALID_ARGUMENT",
	"DEADLINE_EXCEEDED",
	"NOT_FOUND",
	"ALREADY_EXISTS",
	"PERMISSION_DENIED",
	"RESOURCE_EXHAUSTED",
	"FAILED_PRECONDITION",
	"ABORTED",
	"OUT_OF_RANGE",
	"UNIMPLEMENTED",
	"INTERNAL",
	"UNAVAILABLE",
	"DATA_LOSS",
	"UNAUTHENTICATED",
};

#define N_CODES (sizeof(code_names) / sizeof(code_names[0]))

/* The errno each code becomes on the client side (index = code). */
static const int code_errno[] = {
	0, ECANCELED, EREMOTEIO, EINVAL, ETIMEDOUT, ENOENT, EEXIST, EACCES, E2BIG,
	EBUSY, ECONNABORTED, ERANGE, ENOSYS, EPROTO, ENOTCONN, EBADMSG, EKEYREJECTED,
};

_Static_assert(sizeof(code_errno) / sizeof(code_errno[0]) == N_CODES, "one errno per code");

/* Further errnos a handler may return, and their codes. */
static const struct {
	int err;
	int code;
} extra_errno[] = {
	{ETIME, TTRPC_DEADLINE_EXCEEDED},   {ESRCH, TTRPC_NOT_FOUND},
	{EPERM, TTRPC_PERMISSION_DENIED},   {EFBIG, TTRPC_RESOURCE_EXHAUSTED},
	{ENOMEM, TTRPC_RESOURCE_EXHAUSTED}, {ENOSPC, TTRPC_RESOURCE_EXHAUSTED},
	{EMFILE, TTRPC_RESOURCE_EXHAUSTED}, {ENFILE, TTRPC_RESOURCE_EXHAUSTED},
	{EOPNOTSUPP, TTRPC_UNIMPLEMENTED},  {ECONNRESET, TTRPC_UNAVAILABLE},
	{EPIPE, TTRPC_UNAVAILABLE},         {ECONNREFUSED, TTRPC_UNAVAILABLE},
	{ESHUTDOWN, TTRPC_UNAVAILABLE},
};

const char *ttrpc_code_name(int code)
{
	if (code < 0 || (size_t)code >= N_CODES)
		return code_names[TTRPC_UNKNOWN];
	return code_names[code];
}

int ttrpc_code_to_errno(int code)
{
	if (code < 0 || (size_t)code >= N_CODES)
		return -EREMOTEIO;
	return -code_errno[code];
}

int ttrpc_code_from_errno(int err)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		return TTRPC_OK;
	for (size_t i = 1; i < N_CODES; i++)
		if (code_errno[i] == err && i != TTRPC_UNKNOWN)
			return (int)i;
	for (size_t i = 0; i < sizeof(extra_errno) / sizeof(extra_errno[0]); i++)
		if (extra_errno[i].err == err)
			return extra_errno[i].code;
	return TTRPC_UNKNOWN;
}

int ttrpc_error_code(const cc_error *e)
{
	if (e == NULL)
		return TTRPC_OK;
	const char *kind = cc_error_kind(e);
	if (kind != NULL)
		for (size_t i = 0; i < N_CODES; i++)
			if (strcmp(kind, code_names[i]) == 0)
				return (int)i;
	return TTRPC_UNKNOWN;
}

int ttrpc_error_set(cc_error **err, int code, const char *fmt, ...)
{
	int r = ttrpc_code_to_errno(code);
	if (r == 0)
		r = -EREMOTEIO;
	if (err == NULL || *err != NULL)
		return r;
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	cc_error_set_at(err, r, ttrpc_code_name(code), NULL, 0, 0, "%s", n < 0 ? "out of memory" : msg);
	free(n < 0 ? NULL : msg);
	return r;
}
