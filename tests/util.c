/* tests/util.c - see tests/util.h */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "test.h"
#include "util.h"

char *t_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	size_t cap = 1 << 16, n = 0;
	char *b = malloc(cap + 1);
	size_t got;
	while (b && (got = fread(b + n, 1, cap - n, f)) > 0) {
		n += got;
		if (n == cap) {
			char *nb = realloc(b, cap * 2 + 1);
			if (!nb) {
				free(b);
				b = NULL;
				break;
			}
			b = nb;
			cap *= 2;
		}
	}
	fclose(f);
	if (b)
		b[n] = 0;
	if (len)
		*len = n;
	return b;
}

const char *t_write_tmp(const char *name, const void *p, size_t n)
{
	static char buf[4][600];
	static int i;
	char *path = buf[i++ & 3];
	snprintf(path, sizeof buf[0], "%s/%s", mml_test_tmpdir(), name);
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	fwrite(p, 1, n, f);
	fclose(f);
	return path;
}

void t_decrypt(t_run *r, const char *capture, const char *keylog, const mml_decrypt_opts *extra)
{
	static int serial;
	memset(r, 0, sizeof *r);
	snprintf(r->out, sizeof r->out, "%s/run%d.jsonl", mml_test_tmpdir(), serial++);
	mml_decrypt_opts o;
	if (extra)
		o = *extra;
	else
		memset(&o, 0, sizeof o);
	o.capture = capture;
	o.keylog = keylog;
	o.out = r->out;
	o.quiet = 1;
	if (!extra)
		o.handshakes = 1;
	FILE *devnull = fopen("/dev/null", "w");
	r->rc = mml_decrypt_run(&o, &r->st, devnull ? devnull : stderr);
	if (devnull)
		fclose(devnull);
	r->lines = json_array();
	r->messages = json_array();
	FILE *f = fopen(r->out, "r");
	if (!f)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_error_t e;
		json_t *o2 = json_loads(line, 0, &e);
		if (!o2) {
			mml_test_fail(__FILE__, __LINE__, "bad JSONL line: %s", e.text);
			continue;
		}
		json_array_append_new(r->lines, o2);
		if (t_str(o2, "kind") && !strcmp(t_str(o2, "kind"), "message"))
			json_array_append(r->messages, o2);
	}
	free(line);
	fclose(f);
}

void t_run_free(t_run *r)
{
	json_decref(r->messages);
	json_decref(r->lines);
	r->messages = r->lines = NULL;
}

const char *t_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

int t_hexfile(const char *path, mml_buf *b)
{
	size_t n;
	char *t = t_slurp(path, &n);
	if (!t)
		return -1;
	mml_err e = mml_hexdump_decode(t, n, b);
	free(t);
	return e == MML_OK ? 0 : -1;
}

char *t_hex(const uint8_t *p, size_t n)
{
	char *s = malloc(2 * n + 1);
	if (s)
		mml_hex_encode(p, n, s);
	return s;
}

const char *t_sim_bin(void)
{
	const char *b = getenv("MMLENS_SIM");
	return b && *b ? b : "build/mmlens-sim";
}

/* Run the simulator with extra args into tmp files; 0 on success. */
int t_simulate(const char *tag, const char *args, char *pcap, char *keys, char *truth, size_t n)
{
	snprintf(pcap, n, "%s/%s.pcap", mml_test_tmpdir(), tag);
	snprintf(keys, n, "%s/%s.keys", mml_test_tmpdir(), tag);
	snprintf(truth, n, "%s/%s.truth", mml_test_tmpdir(), tag);
	char cmd[4096];
	snprintf(cmd, sizeof cmd, "%s %s --pcap %s --keylog %s --truth %s 2>/dev/null", t_sim_bin(), args, pcap, keys, truth);
	int r = system(cmd);
	return WIFEXITED(r) ? WEXITSTATUS(r) : -1;
}

json_t *t_load_jsonl(const char *path)
{
	json_t *a = json_array();
	FILE *f = fopen(path, "r");
	if (!f)
		return a;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		json_t *o = json_loads(line, 0, NULL);
		if (o)
			json_array_append_new(a, o);
	}
	free(line);
	fclose(f);
	return a;
}

void t_cmd_run(t_cmd *r, int (*cmd)(int, char **, FILE *), const char *tag, const char **argv)
{
	memset(r, 0, sizeof *r);
	char *out = r->out;
	snprintf(r->out, sizeof r->out, "%s/%s.out", mml_test_tmpdir(), tag);
	remove(out);
	char *av[40];
	int ac = 0;
	av[ac++] = (char *)argv[0];
	av[ac++] = "-o";
	av[ac++] = out;
	for (int i = 1; argv[i] && ac < 39; i++)
		av[ac++] = (char *)argv[i];
	av[ac] = NULL;
	FILE *err = tmpfile();
	r->rc = cmd(ac, av, err);
	rewind(err);
	size_t n = fread(r->err, 1, sizeof r->err - 1, err);
	r->err[n] = 0;
	fclose(err);
	r->lines = t_load_jsonl(out);
}

long long t_int(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (long long)json_integer_value(v) : -1;
}

int t_cmd_quiet(int (*cmd)(int, char **, FILE *), char **argv)
{
	int argc = 0;
	while (argv[argc])
		argc++;
	FILE *err = fopen("/dev/null", "w");
	int rc = cmd(argc, argv, err ? err : stderr);
	if (err)
		fclose(err);
	return rc;
}
