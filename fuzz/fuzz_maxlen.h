/*
 * fuzz/fuzz_maxlen.h - libFuzzer's -max_len for a harness whose checks
 * are linear in its input: LLVMFuzzerInitialize puts -max_len=FUZZ_MAX_LEN
 * (default 4096) in front of the arguments unless they give -max_len.
 * Without it libFuzzer takes the longest seed as the limit, and a harness
 * slows with every byte of it (docs/FUZZING.md "Speed"). Included once,
 * by the harness's .c (it defines the function).
 */
#ifndef FUZZ_MAXLEN_H
#define FUZZ_MAXLEN_H

#include <stdio.h>
#include <string.h>

#ifndef FUZZ_MAX_LEN
#define FUZZ_MAX_LEN 4096 /* libFuzzer's -max_len unless given */
#endif

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char *args[64];
	static char maxlen[32];
	if (*argc < 1 || *argc > 62)
		return 0;
	for (int i = 1; i < *argc; i++)
		if (!strncmp((*argv)[i], "-max_len=", 9))
			return 0;
	snprintf(maxlen, sizeof maxlen, "-max_len=%d", FUZZ_MAX_LEN);
	args[0] = (*argv)[0];
	args[1] = maxlen;
	for (int i = 1; i < *argc; i++)
		args[i + 1] = (*argv)[i];
	args[*argc + 1] = NULL;
	*argc += 1;
	*argv = args;
	return 0;
}

#endif
