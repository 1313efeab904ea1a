// SPDX-License-Identifier: MIT
/*
 * fuzz/replay_main.c - runs a fuzz target over corpus files, no engine.
 *
 * `replay FILE|DIR...` feeds every regular file (directories are walked one
 * level deep, in sorted order so runs are reproducible) to
 * LLVMFuzzerTestOneInput.  `bazel test` uses it to replay corpus/<target>/
 * and corpus/<target>/regressions/ under ASan+UBSan, MSan and TSan; a
 * failing input aborts inside the interpreter right after the file's name
 * is printed (unless ZS_REPLAY_QUIET is set), so the log says which file to
 * look at.  Ends with a "N passed, 0 failed" line.
 */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static unsigned long replayed;
static int quiet;

static int replay_file(const char *path)
{
	uint8_t *data = NULL;
	long size;
	FILE *fp = fopen(path, "rb");

	if (!fp) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) || (size = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET))
		goto io_error;
	/* malloc(size) exactly, so ASan sees reads past the input's end. */
	data = malloc(size ? (size_t)size : 1);
	if (!data || fread(data, 1, (size_t)size, fp) != (size_t)size)
		goto io_error;
	fclose(fp);
	/* Named before it runs: a crash report ends the log right after. */
	if (!quiet)
		fprintf(stderr, "replay: %s (%ld bytes)\n", path, size);
	LLVMFuzzerTestOneInput(data, (size_t)size);
	free(data);
	replayed++;
	return 0;
io_error:
	fprintf(stderr, "replay: %s: read error\n", path);
	free(data);
	fclose(fp);
	return -1;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int replay_dir(const char *dir)
{
	struct dirent *de;
	char **names = NULL, **grown, path[4096];
	size_t n = 0, cap = 0, i;
	struct stat st;
	int ret = 0;
	DIR *d = opendir(dir);

	if (!d) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (n == cap) {
			cap = cap ? 2 * cap : 256;
			grown = realloc(names, cap * sizeof(*names));
			if (!grown) {
				ret = -1;
				break;
			}
			names = grown;
		}
		names[n] = strdup(de->d_name);
		if (!names[n]) {
			ret = -1;
			break;
		}
		n++;
	}
	closedir(d);
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		/* stat, not d_type: Bazel's runfiles are symlinks. */
		/* Corpus directories may hold their README and BUILD. */
		if (!ret && !stat(path, &st) && S_ISREG(st.st_mode) &&
		    !strstr(names[i], "README") && strcmp(names[i], "BUILD"))
			ret = replay_file(path);
		free(names[i]);
	}
	free(names);
	return ret;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, failed = 0;

	quiet = getenv("ZS_REPLAY_QUIET") != NULL;
	if (argc < 2) {
		fprintf(stderr, "usage: %s FILE|DIR...\n", argv[0]);
		return 2;
	}
	for (i = 1; i < argc; i++) {
		if (!argv[i][0]) /* an empty $(locations) expansion */
			continue;
		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i],
				strerror(errno));
			failed = 1;
		} else if (S_ISDIR(st.st_mode)) {
			failed |= replay_dir(argv[i]) != 0;
		} else {
			failed |= replay_file(argv[i]) != 0;
		}
	}
	if (!replayed && !failed) {
		fprintf(stderr, "replay: no input files found\n");
		failed = 1;
	}
	printf("replayed %lu inputs\n", replayed);
	printf("%lu passed, %d failed\n", replayed, failed);
	return failed;
}
