/*
 * labels.c - session labels for the cli (src/cli/input.h): --label and
 * --manifest, checked as they are given and resolved per input.
 *
 * Contract: --label arguments are checked at option time (a bad one is a
 * usage error) and stored as given; mml_cli_labels builds the set for
 * one input (manifest entries for that input, then the --label ones).
 * Diagnostics about manifest entries go to err, as warnings; a manifest
 * that cannot be read is an unreadable input (MML_EXIT_INPUT).
 */
#include <stdlib.h>
#include <string.h>

#include "input.h"
#include "mmlens/util.h"

int mml_cli_labels(const char *cmd, const mml_cli_input *in, const char *input, mml_labels *out, FILE *err)
{
	mml_labels_init(out);
	mml_cli_diag d = {.err = err};
	if (in->manifest) {
		mml_err e = mml_labels_load(out, in->manifest, input, mml_cli_diag_fn, &d);
		const char *why = mml_err_why(e); /* before anything can change errno */
		mml_cli_diag_done(&d);
		if (e != MML_OK) {
			if (e == MML_E_IO)
				fprintf(err, "%s: %s: cannot read the manifest: %s\n", cmd, in->manifest, why);
			else if (e == MML_E_NOMEM)
				fprintf(err, "%s: out of memory\n", cmd);
			else
				fprintf(err, "%s: %s: not a session manifest\n", cmd, in->manifest);
			mml_labels_free(out);
			return MML_EXIT_INPUT;
		}
	}
	for (size_t i = 0; i < in->nlabel_args; i++) {
		char ebuf[320];
		if (mml_labels_arg(out, in->label_args[i], ebuf, sizeof ebuf) != MML_OK) {
			fprintf(err, "%s: --label %s\n", cmd, ebuf);
			mml_labels_free(out);
			return MML_EXIT_USAGE;
		}
	}
	return MML_EXIT_OK;
}
