/* `cocoon policy fmt`: opa fmt's flags, output and exit codes (OPA's
 * cmd/fmt.go): stdin to stdout without a path (exit 1 on error); with
 * paths, every .rego file (directories walked in name order) is printed
 * formatted, or listed (-l), diffed (-d) or rewritten (-w, only when the
 * text changes); --fail makes a change exit 2 ("unexpected diff"), as
 * does any file that fails to format. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "policy.h"

struct fmt_args {
	bool write, list, diff, fail, v0;
};

static void usage_fmt(FILE *f)
{
	fputs("Usage: cocoon policy fmt [OPTIONS] [PATH...]\n"
	      "\n"
	      "Formats Rego modules as opa fmt does (Rego v1 canonical style). Without a\n"
	      "PATH, reads stdin and writes the formatted module to stdout.\n"
	      "\n"
	      "Options:\n"
	      "  -w, --write          overwrite the files that change\n"
	      "  -l, --list           list the files that would change\n"
	      "  -d, --diff           show the changes (line granularity)\n"
	      "      --fail           exit 2 if a file would change\n"
	      "      --v0-compatible  parse as Rego v0 (not supported yet)\n"
	      "  -h, --help           show this help\n"
	      "\n"
	      "Exit status: 0 ok; 1 bad stdin module or usage; 2 a file failed to\n"
	      "format, or would change with --fail.\n",
	      f);
}

/* Line diff (longest common subsequence; red deletions, green insertions
 * as opa's colored output). Beyond the bound, all old then all new. */
#define DIFF_MAX_LINES 2000u

static size_t split_lines(const char *s, size_t n, const char **v, size_t *lens, size_t max)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < max;) {
		const char *nl = memchr(s + i, '\n', n - i);
		size_t e = nl ? (size_t)(nl - s) + 1 : n;
		v[k] = s + i;
		lens[k++] = e - i;
		i = e;
	}
	return k;
}

static void put_line(const char *color, const char *p, size_t n)
{
	if (color)
		fputs(color, stdout);
	fwrite(p, 1, n, stdout);
	if (color)
		fputs("\x1b[0m", stdout);
}

static void print_diff(const char *a, size_t an, const char *b, size_t bn)
{
	const char **av = calloc(DIFF_MAX_LINES, sizeof(*av));
	const char **bv = calloc(DIFF_MAX_LINES, sizeof(*bv));
	size_t *al = calloc(DIFF_MAX_LINES, sizeof(*al));
	size_t *bl = calloc(DIFF_MAX_LINES, sizeof(*bl));
	size_t na = 0, nb = 0;
	unsigned short *t = NULL;
	if (av && bv && al && bl) {
		na = split_lines(a, an, av, al, DIFF_MAX_LINES);
		nb = split_lines(b, bn, bv, bl, DIFF_MAX_LINES);
		t = calloc((na + 1) * (nb + 1), sizeof(*t));
	}
	if (t == NULL || na == DIFF_MAX_LINES || nb == DIFF_MAX_LINES) {
		put_line("\x1b[31m", a, an);
		put_line("\x1b[32m", b, bn);
	} else {
		for (size_t i = na; i-- > 0;)
			for (size_t j = nb; j-- > 0;) {
				size_t x = (i + 1) * (nb + 1) + j + 1;
				if (al[i] == bl[j] && memcmp(av[i], bv[j], al[i]) == 0)
					t[i * (nb + 1) + j] = (unsigned short)(t[x] + 1);
				else {
					unsigned short d = t[(i + 1) * (nb + 1) + j], r = t[i * (nb + 1) + j + 1];
					t[i * (nb + 1) + j] = d > r ? d : r;
				}
			}
		size_t i = 0, j = 0;
		while (i < na || j < nb) {
			if (i < na && j < nb && al[i] == bl[j] && memcmp(av[i], bv[j], al[i]) == 0) {
				put_line(NULL, av[i], al[i]);
				i++, j++;
			} else if (i < na && (j == nb || t[(i + 1) * (nb + 1) + j] >= t[i * (nb + 1) + j + 1])) {
				put_line("\x1b[31m", av[i], al[i]); /* removed lines first */
				i++;
			} else {
				put_line("\x1b[32m", bv[j], bl[j]);
				j++;
			}
		}
	}
	fputc('\n', stdout);
	free(t);
	free(av);
	free(bv);
	free(al);
	free(bl);
}

/* opa's text: parse errors are an ast.Errors ("1 error occurred: ..."). */
static void print_err(const char *prefix, const cc_error *err)
{
	char *m = cc_error_format(err);
	const char *kind = cc_error_kind(err);
	fprintf(stderr, "%s%s%s\n", prefix, kind && strncmp(kind, "rego_", 5) == 0 ? "1 error occurred: " : "",
	        m ? m : cc_error_message(err));
	free(m);
}

static int write_file(const char *path, const char *s, size_t n)
{
	FILE *f = fopen(path, "r+");
	if (f == NULL)
		return -errno;
	int r = 0;
	if (fwrite(s, 1, n, f) != n || fflush(f) != 0 || ftruncate(fileno(f), (off_t)n) != 0)
		r = -EIO;
	if (fclose(f) != 0 && r == 0)
		r = -EIO;
	return r;
}

/* One file: 0, or 2 with the message printed (opa's fmtError). */
static int fmt_file(const struct fmt_args *a, const char *path)
{
	char *src = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	cc_error *err = NULL;
	int status = 0;
	if (cc_read_file(path, CC_REGO_MAX_POLICY_BYTES, 0, &src, &len, &err) < 0) {
		print_err("failed to open file: ", err);
		status = 2;
	} else if (rego_format(path, src, len, a->v0, &out, &olen, &err) < 0) {
		print_err("failed to format Rego source file: ", err);
		status = 2;
	} else {
		bool changed = olen != len || memcmp(out, src, len) != 0;
		if (a->list) {
			if (changed) {
				printf("%s\n", path);
				if (a->fail)
					status = 2;
			}
		} else if (a->diff) {
			if (changed) {
				print_diff(src, len, out, olen);
				if (a->fail)
					status = 2;
			}
		} else if (a->fail && changed) {
			status = 2;
		} else if (a->write) {
			int r = changed ? write_file(path, out, olen) : 0;
			if (r < 0) {
				fprintf(stderr, "failed to open file for writing: %s: %s\n", path, strerror(-r));
				status = 2;
			}
		} else {
			fwrite(out, 1, olen, stdout);
		}
		if (status == 2 && changed && a->fail)
			fputs("unexpected diff\n", stderr);
	}
	fflush(stdout);
	cc_error_free(err);
	free(src);
	free(out);
	return status;
}

static int name_cmp(const struct dirent **x, const struct dirent **y)
{
	return strcmp((*x)->d_name, (*y)->d_name);
}

static int fmt_path(const struct fmt_args *a, const char *path, unsigned depth)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "lstat %s: %s\n", path, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		size_t n = strlen(path);
		if (n < 5 || strcmp(path + n - 5, ".rego") != 0)
			return 0;
		return fmt_file(a, path);
	}
	if (depth >= CC_REGO_MAX_PARSE_DEPTH) {
		fprintf(stderr, "%s: directories nested too deeply\n", path);
		return 1;
	}
	struct dirent **ents = NULL;
	int n = scandir(path, &ents, NULL, name_cmp);
	if (n < 0) {
		fprintf(stderr, "open %s: %s\n", path, strerror(errno));
		return 1;
	}
	int status = 0;
	for (int i = 0; i < n; i++) {
		const char *d = ents[i]->d_name;
		if (status == 0 && strcmp(d, ".") != 0 && strcmp(d, "..") != 0) {
			char *sub = NULL;
			if (asprintf(&sub, "%s/%s", path, d) < 0)
				status = 1;
			else
				status = fmt_path(a, sub, depth + 1);
			free(sub);
		}
		free(ents[i]);
	}
	free(ents);
	return status;
}

static int fmt_stdin(const struct fmt_args *a)
{
	char *src = NULL, *out = NULL;
	size_t len = 0, olen = 0;
	cc_error *err = NULL;
	int status = 0;
	if (cc_read_file("/dev/stdin", CC_REGO_MAX_POLICY_BYTES, 0, &src, &len, &err) < 0 ||
	    rego_format("stdin", src, len, a->v0, &out, &olen, &err) < 0) {
		print_err("", err);
		status = 1;
	} else {
		fwrite(out, 1, olen, stdout);
	}
	cc_error_free(err);
	free(src);
	free(out);
	return status;
}

int policy_fmt(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"write", no_argument, NULL, 'w'},
	    {"list", no_argument, NULL, 'l'},
	    {"diff", no_argument, NULL, 'd'},
	    {"fail", no_argument, NULL, 'f'},
	    {"v0-compatible", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct fmt_args a = {0};
	int c;
	while ((c = getopt_long(argc, argv, "wldh", opts, NULL)) != -1) {
		switch (c) {
		case 'w': a.write = true; break;
		case 'l': a.list = true; break;
		case 'd': a.diff = true; break;
		case 'f': a.fail = true; break;
		case 'v': a.v0 = true; break;
		case 'h': usage_fmt(stdout); return 0;
		default: usage_fmt(stderr); return 1;
		}
	}
	if (optind >= argc)
		return fmt_stdin(&a);
	for (int i = optind; i < argc; i++) {
		int r = fmt_path(&a, argv[i], 0);
		if (r != 0)
			return r;
	}
	return 0;
}
