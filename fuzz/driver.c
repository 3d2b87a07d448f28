/*
 * driver.c - run a libFuzzer harness without libFuzzer (gcc builds), so
 * that the seed corpora double as regression tests.
 *
 * Usage: <harness> FILE|DIR...
 * A directory is read one level deep, in sorted name order; hidden entries
 * and subdirectories are skipped. Each file (at most 4 MiB) is handed to
 * LLVMFuzzerTestOneInput once. Prints exactly one line,
 *   fuzzreg NAME: N inputs ok
 * and exits 0; exits 1 when no input was found or a file cannot be read.
 */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define FUZZREG_MAX_INPUT ((size_t)4 << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t ninputs;

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "fuzzreg: %s: cannot open\n", path);
		return -1;
	}
	uint8_t *buf = malloc(FUZZREG_MAX_INPUT + 1);
	if (!buf) {
		fclose(f);
		fprintf(stderr, "fuzzreg: out of memory\n");
		return -1;
	}
	size_t n = fread(buf, 1, FUZZREG_MAX_INPUT, f);
	int err = ferror(f);
	fclose(f);
	if (err) {
		free(buf);
		fprintf(stderr, "fuzzreg: %s: read error\n", path);
		return -1;
	}
	/* Hand over an exactly sized copy so ASan sees reads past the end. */
	uint8_t *in = malloc(n ? n : 1);
	if (!in) {
		free(buf);
		fprintf(stderr, "fuzzreg: out of memory\n");
		return -1;
	}
	memcpy(in, buf, n);
	free(buf);
	LLVMFuzzerTestOneInput(in, n);
	free(in);
	ninputs++;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int run_dir(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d) {
		fprintf(stderr, "fuzzreg: %s: cannot open directory\n", dir);
		return -1;
	}
	char **names = NULL;
	size_t n = 0, alloc = 0;
	int rc = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == alloc) {
			size_t na = alloc ? alloc * 2 : 64;
			char **p = realloc(names, na * sizeof *p);
			if (!p) {
				rc = -1;
				break;
			}
			names = p;
			alloc = na;
		}
		if (!(names[n] = strdup(de->d_name))) {
			rc = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof *names, cmp_str);
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(dir) + strlen(names[i]) + 2;
		char *path = malloc(len);
		struct stat sb;
		if (!path) {
			rc = -1;
		} else {
			snprintf(path, len, "%s/%s", dir, names[i]);
			if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && run_file(path) != 0)
				rc = -1;
			free(path);
		}
		free(names[i]);
	}
	free(names);
	if (rc)
		fprintf(stderr, "fuzzreg: %s: could not read every entry\n", dir);
	return rc;
}

int main(int argc, char **argv)
{
	const char *name = argc > 0 && argv[0] ? argv[0] : "fuzzreg";
	const char *slash = strrchr(name, '/');
	if (slash)
		name = slash + 1;
	int rc = 0;
	for (int i = 1; i < argc; i++) {
		struct stat sb;
		if (stat(argv[i], &sb) != 0) {
			fprintf(stderr, "fuzzreg: %s: not found\n", argv[i]);
			rc = 1;
			continue;
		}
		if (S_ISDIR(sb.st_mode)) {
			if (run_dir(argv[i]) != 0)
				rc = 1;
		} else if (run_file(argv[i]) != 0) {
			rc = 1;
		}
	}
	if (!ninputs) {
		fprintf(stderr, "fuzzreg %s: no inputs found\n", name);
		return 1;
	}
	if (rc)
		return 1;
	printf("fuzzreg %s: %zu inputs ok\n", name, ninputs);
	return 0;
}
