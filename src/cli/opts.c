/*
 * opts.c - the option skeleton of the commands (src/cli/opts.h): one
 * getopt_long loop over a command's table, and the options the commands
 * share, each checked and reported in one place.
 *
 * Contract: a command's options are at most OPTS_MAX; getopt is fully
 * reinitialised for every parse (commands run more than once in one
 * process: tests). Messages name the command and are written to err.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "opts.h"

#define OPTS_MAX 32

int mml_cli_opt_once(const char *cmd, const char *opt, const char *prev, FILE *err)
{
	if (!prev)
		return 0;
	fprintf(err, "%s: %s given twice ('%s' first): give it once\n", cmd, opt, prev);
	return -1;
}

bool mml_opt_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *v)
{
	char *end;
	unsigned long long x = strtoull(s, &end, 10);
	if (!*s || *end || x < lo || x > hi)
		return false;
	*v = x;
	return true;
}

int mml_opt_list(void *dst, const char *arg, const char *cmd, FILE *err)
{
	mml_optlist *l = dst;
	if (*l->n >= l->max) {
		fprintf(err, "%s: %s\n", cmd, l->full);
		return -1;
	}
	l->v[(*l->n)++] = arg;
	return 0;
}

int mml_opt_keylog_to(mml_cli_input *in, const char *arg, const char *cmd, bool per_side, FILE *err)
{
	char full[64];
	snprintf(full, sizeof full, per_side ? "at most %d key logs per side" : "at most %d --keylog files",
	         MML_CLI_MAX_KEYLOGS);
	mml_optlist l = {in->keylogs, &in->nkeylogs, MML_CLI_MAX_KEYLOGS, full};
	return mml_opt_list(&l, arg, cmd, err);
}

int mml_opt_keylog(void *dst, const char *arg, const char *cmd, FILE *err)
{
	return mml_opt_keylog_to(dst, arg, cmd, false, err);
}

int mml_opt_catalog(void *dst, const char *arg, const char *cmd, FILE *err)
{
	mml_cli_input *in = dst;
	if (in->ncat >= MML_CLI_MAX_CATALOGS) {
		fprintf(err, "%s: at most %d --catalog files\n", cmd, MML_CLI_MAX_CATALOGS);
		return -1;
	}
	in->cat_v[in->ncat++] = arg;
	in->cat_v[in->ncat] = NULL;
	in->cats = in->cat_v;
	return 0;
}

int mml_opt_max_body(void *dst, const char *arg, const char *cmd, FILE *err)
{
	mml_cli_input *in = dst;
	uint64_t v;
	if (!mml_opt_u64(arg, 1, (uint64_t)1 << 32, &v)) {
		fprintf(err, "%s: --max-body wants a byte count from 1 to 4294967296\n", cmd);
		return -1;
	}
	in->max_body = (size_t)v;
	return 0;
}

int mml_opt_label(void *dst, const char *arg, const char *cmd, FILE *err)
{
	mml_cli_input *in = dst;
	if (in->nlabel_args == MML_CLI_MAX_LABELS) {
		fprintf(err, "%s: at most %d --label options; use --manifest\n", cmd, MML_CLI_MAX_LABELS);
		return -1;
	}
	mml_labels t;
	char ebuf[320];
	mml_labels_init(&t);
	mml_err e = mml_labels_arg(&t, arg, ebuf, sizeof ebuf); /* checked now: a bad label is a usage error */
	mml_labels_free(&t);
	if (e != MML_OK) {
		fprintf(err, "%s: --label %s\n", cmd, ebuf);
		return -1;
	}
	in->label_args[in->nlabel_args++] = arg;
	return 0;
}

int mml_opt_jobs(void *dst, const char *arg, const char *cmd, FILE *err)
{
	uint64_t v;
	if (!mml_opt_u64(arg, 1, 64, &v)) {
		fprintf(err, "%s: --jobs wants 1 to 64\n", cmd);
		return -1;
	}
	*(int *)dst = (int)v;
	return 0;
}

static bool takes_arg(const mml_opt *o)
{
	return o->kind == MML_OPTK_SET || o->kind == MML_OPTK_ONCE ||
	       ((o->kind == MML_OPTK_CALL || o->kind == MML_OPTK_REFUSE) && o->arg);
}

/* One option given: 0, or -1 after telling err why. */
static int opt_take(const mml_opt *o, const char *arg, const char *cmd, FILE *err)
{
	switch (o->kind) {
	case MML_OPTK_FLAG: *(bool *)o->dst = true; return 0;
	case MML_OPTK_SET: *(const char **)o->dst = arg; return 0;
	case MML_OPTK_ONCE: {
		const char **v = o->dst;
		char name[64];
		snprintf(name, sizeof name, "--%s", o->name);
		if (mml_cli_opt_once(cmd, name, *v && !(o->unset && !strcmp(*v, o->unset)) ? *v : NULL, err))
			return -1;
		*v = arg;
		return 0;
	}
	case MML_OPTK_CALL: return o->fn(o->dst, arg, cmd, err);
	default: return -1;
	}
}

int mml_opts_parse(const char *cmd, const char *usage, const mml_opt *opt, size_t n, int argc, char **argv,
                   FILE *err)
{
	struct option lo[OPTS_MAX + 1];
	char shorts[3 * OPTS_MAX + 1];
	size_t k = 0;
	if (n > OPTS_MAX)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bool arg = takes_arg(&opt[i]);
		lo[i] = (struct option){opt[i].name, arg ? required_argument : no_argument, NULL, 0x200 + (int)i};
		if (opt[i].shortopt) {
			shorts[k++] = opt[i].shortopt;
			if (arg)
				shorts[k++] = ':';
		}
	}
	lo[n] = (struct option){0, 0, 0, 0};
	shorts[k] = 0;
	optind = 0; /* 0: glibc reinitialises getopt fully (commands run more than once in one process) */
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, shorts, lo, NULL)) != -1) {
		const mml_opt *o = NULL;
		if (c >= 0x200 && (size_t)(c - 0x200) < n)
			o = &opt[c - 0x200];
		for (size_t i = 0; !o && c != '?' && i < n; i++)
			if (opt[i].shortopt == c)
				o = &opt[i];
		if (!o || o->kind == MML_OPTK_REFUSE) {
			fprintf(err, "%s: unknown or incomplete option '%s'\n%s", cmd, argv[optind - 1], usage);
			return -1;
		}
		if (o->kind == MML_OPTK_HELP) {
			fputs(usage, stdout);
			return 1;
		}
		if (opt_take(o, optarg, cmd, err))
			return -1;
	}
	return 0;
}
