/*
 * mmlens/err.h - the one error enum of the project, and RETURN_IF macros.
 *
 * Contract: every fallible function returns `mml_err` (MML_OK == 0) or a
 * value whose meaning documents how failure is signalled. MML_E_INCOMPLETE
 * means "need more bytes" and is never an error of the input: a streaming
 * parser returns it and is called again with more data. MML_E_MALFORMED
 * means the bytes can never parse. The two are kept apart everywhere
 * (as picohttpparser keeps -2 apart from -1). MML_E_END is the clean end
 * of a stream (a capture or log read to its last record): not "more
 * bytes", since there are none.
 *
 * MML_RETURN_IF_ERR and MML_RETURN_IF print "mmlens: trace: FILE:LINE:
 * ERROR" on stderr where they return an error when the environment
 * variable MMLENS_TRACE is set (to anything but "" or "0"), so the place
 * a failure started can be found without a debugger. MML_E_INCOMPLETE is
 * not traced (it is the normal way to ask for more bytes) unless
 * MMLENS_TRACE=all.
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
	MML_E_END,          /* the stream ended cleanly: nothing more to read */
	MML_E__COUNT
} mml_err;

/* Short stable name for an error, e.g. "truncated". Never NULL. */
const char *mml_strerror(mml_err e);
/* Why an operation failed, in words for a person: for MML_E_IO the
 * system's reason (strerror(errno): call it right after the failure,
 * before anything else can change errno), else what the error means
 * ("a size limit was reached", "out of memory", ...). mml_strerror gives
 * the short names the JSON outputs use. */
const char *mml_err_why(mml_err e);

/*
 * The trace behind the macros: mml_trace_level is -1 until the first
 * error, then 0 (off), 1 (errors) or 2 (all, MML_E_INCOMPLETE too);
 * mml_trace_err reads MMLENS_TRACE once and prints.
 */
extern int mml_trace_level;
void mml_trace_err(const char *file, int line, mml_err e);
#define MML_TRACE_(e)                                                      \
	do {                                                                   \
		if (__builtin_expect(mml_trace_level != 0, 0))                     \
			mml_trace_err(__FILE__, __LINE__, (e));                        \
	} while (0)

/* Propagate any non-OK result. */
#define MML_RETURN_IF_ERR(expr)                                            \
	do {                                                                   \
		mml_err mml__e = (expr);                                           \
		if (mml__e != MML_OK) {                                            \
			MML_TRACE_(mml__e);                                            \
			return mml__e;                                                 \
		}                                                                  \
	} while (0)

/* Return `err` when `cond` holds. */
#define MML_RETURN_IF(cond, err)                                           \
	do {                                                                   \
		if (cond) {                                                        \
			mml_err mml__r = (err);                                        \
			MML_TRACE_(mml__r);                                            \
			return mml__r;                                                 \
		}                                                                  \
	} while (0)

/* Diagnostics about bad input lines: printf-style, one message per call. */
typedef void (*mml_diag_fn)(void *ctx, const char *fmt, ...);

#endif
