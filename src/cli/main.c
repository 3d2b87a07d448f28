/*
 * main.c - the mmlens command line: dispatches to a command.
 * Exit codes are documented in docs/mmlens.1 and include/mmlens/cli.h.
 */
#include <stdio.h>
#include <string.h>

#include "mmlens/cli.h"

#define MMLENS_VERSION "0.1.0"

static const char usage[] =
	"usage: mmlens COMMAND [options]\n"
	"\n"
	"mmlens shows what WeChat sends about its users, to whom, and when.\n"
	"\n"
	"Commands:\n"
	"  decrypt   recover every WeChat message in a capture, in plaintext (JSONL)\n"
	"  scan      find the personal data in every message of a capture or log\n"
	"  decode    print the decoded field tree of a capture's or log's messages\n"
	"  sessions  split a capture or log into sessions (one JSON object each)\n"
	"  diff      compare the personal data of two sessions or inputs\n"
	"  audit     judge every data flow of a capture or log against the policy models\n"
	"  answer    answer the study's questions: supported, not supported, or not determinable\n"
	"  report    append a capture's or log's sessions, flows and verdicts to an SQLite database\n"
	"\n"
	"Run 'mmlens COMMAND --help' for a command's options; 'man docs/mmlens.1'\n"
	"for the manual. mmlens never sends anything over the network.\n";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fputs(usage, stderr);
		return MML_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage, stdout);
		return MML_EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		puts("mmlens " MMLENS_VERSION);
		return MML_EXIT_OK;
	}
	if (!strcmp(argv[1], "decrypt"))
		return mml_cmd_decrypt(argc - 1, argv + 1, stderr);
	if (!strcmp(argv[1], "scan"))
		return mml_cmd_scan(argc - 1, argv + 1, stderr);
	if (!strcmp(argv[1], "decode"))
		return mml_cmd_decode(argc - 1, argv + 1, stderr);
	if (!strcmp(argv[1], "sessions"))
		return mml_cmd_sessions(argc - 1, argv + 1, stderr);
	if (!strcmp(argv[1], "diff"))
		return mml_cmd_diff(argc - 1, argv + 1, stderr);
	if (!strcmp(argv[1], "audit"))
		return mml_cmd_audit(argc - 1, argv + 1, stderr);
	if (!strcmp(argv[1], "answer"))
		return mml_cmd_answer(argc - 1, argv + 1, stderr);
	if (!strcmp(argv[1], "report"))
		return mml_cmd_report(argc - 1, argv + 1, stderr);
	fprintf(stderr, "mmlens: unknown command '%s'\n%s", argv[1], usage);
	return MML_EXIT_USAGE;
}
