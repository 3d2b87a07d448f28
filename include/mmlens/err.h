/*
 * mmlens/err.h - the one error enum of the project, and RETURN_IF macros.
 *
 * Contract: every fallible function returns `mml_err` (MML_OK == 0) or a
 * value whose meaning documents how failure is signalled. MML_E_INCOMPLETE
 * means "need more bytes" and is never an error of the input: a streaming
 * parser returns it and is called again with more data. MML_E_MALFORMED
 * means the bytes can never parse. The two are kept apart everywhere
 * (as picohttpparser keeps -2 apart from -1).
 */
#ifndef MMLENS_ERR_H
#define MMLENS_ERR_H

typedef enum mml_err {
	MML_OK = 0,
	MML_E_INCOMPLETE,   /* more input needed; retry with more bytes */
	MML_E_MALFORMED,    /* input can never parse as this format */
	MML_E_TRUNCATED,    /* input ended before a declared length */
	MML_E_LIMIT,        /* a size, depth or work cap was hit */
	MML_E_NOMEM,        /* allocation failed */
	MML_E_IO,           /* read/write failure on a file */
	MML_E_NOKEY,        /* no key material for this ciphertext */
	MML_E_AUTH,         /* AEAD tag or padding check failed */
	MML_E_CRYPTO,       /* the crypto library reported an error */
	MML_E_UNSUPPORTED,  /* a valid but unsupported variant */
	MML_E_ARG,          /* bad argument from the caller */
	MML_E__COUNT
} mml_err;

/* Short stable name for an error, e.g. "truncated". Never NULL. */
const char *mml_strerror(mml_err e);

/* Propagate any non-OK result. */
#define MML_RETURN_IF_ERR(expr)                                            \
	do {                                                                   \
		mml_err mml__e = (expr);                                           \
		if (mml__e != MML_OK)                                              \
			return mml__e;                                                 \
	} while (0)

/* Return `err` when `cond` holds. */
#define MML_RETURN_IF(cond, err)                                           \
	do {                                                                   \
		if (cond)                                                          \
			return (err);                                                  \
	} while (0)

/* Diagnostics about bad input lines: printf-style, one message per call. */
typedef void (*mml_diag_fn)(void *ctx, const char *fmt, ...);

#endif
