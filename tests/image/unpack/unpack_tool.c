/* Test driver for lib/image/unpack, run by the integration tests
 * (umoci_equiv.py, hostile.py):
 *
 *   unpack-tool tar [--overlay] [--compression none|gzip|zstd]
 *                   [--max-bytes N] [--max-entries N] FILE ROOT
 *       unpacks one layer file into the existing directory ROOT
 *   unpack-tool layout LAYOUT TAG BUNDLE
 *       unpacks the image TAG of the OCI layout LAYOUT as `umoci unpack`
 *       does: BUNDLE/rootfs (flatten mode, blob digests and diff_ids
 *       checked) and BUNDLE/config.json
 *   unpack-tool config CONFIG ROOT
 *       prints the runtime config for the image config file CONFIG
 *
 * Prints "ok entries=N ..." on success, the error on stderr and exit 1 on
 * failure.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cocoon/cleanup.h"
#include "cocoon/limits.h"
#include "digest.h"
#include "unpack.h"

static int fail(cc_error *err, int r)
{
	fprintf(stderr, "error: %s (%s)\n", cc_error_message(err), strerror(-r));
	cc_error_free(err);
	return 1;
}

static void print_stats(const struct img_unpack_stats *s)
{
	printf("ok entries=%" PRIu64 " files=%" PRIu64 " dirs=%" PRIu64 " symlinks=%" PRIu64
	       " hardlinks=%" PRIu64 " nodes=%" PRIu64 " whiteouts=%" PRIu64 " file_bytes=%" PRIu64
	       " tar_bytes=%" PRIu64 "\n",
	       s->entries, s->files, s->dirs, s->symlinks, s->hardlinks, s->nodes, s->whiteouts,
	       s->file_bytes, s->tar_bytes);
}

static int cmd_tar(int argc, char **argv)
{
	struct img_unpack_opts o;
	img_unpack_opts_default(&o);
	enum img_compression c = IMG_COMPRESSION_NONE;
	int i = 2;
	for (; i < argc && strncmp(argv[i], "--", 2) == 0; i++) {
		if (strcmp(argv[i], "--overlay") == 0)
			o.whiteout = IMG_WHITEOUT_OVERLAY;
		else if (strcmp(argv[i], "--compression") == 0 && i + 1 < argc)
			c = strcmp(argv[++i], "gzip") == 0   ? IMG_COMPRESSION_GZIP
			    : strcmp(argv[i], "zstd") == 0 ? IMG_COMPRESSION_ZSTD
			                                     : IMG_COMPRESSION_NONE;
		else if (strcmp(argv[i], "--max-bytes") == 0 && i + 1 < argc)
			o.max_bytes = strtoull(argv[++i], NULL, 10);
		else if (strcmp(argv[i], "--max-entries") == 0 && i + 1 < argc)
			o.max_entries = strtoull(argv[++i], NULL, 10);
		else
			return 2;
	}
	if (argc - i != 2)
		return 2;
	int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
	_cleanup_close_ int root = open(argv[i + 1], O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0 || root < 0) {
		perror("open");
		return 1;
	}
	img_reader *r = img_decompress_reader(img_reader_fd(fd, true), c, o.max_bytes);
	cc_error *err = NULL;
	struct img_unpack_stats st;
	int ret = img_unpack_layer(root, r, &o, &st, &err);
	img_reader_free(r);
	if (ret < 0)
		return fail(err, ret);
	print_stats(&st);
	return 0;
}

static json_t *load_json(const char *dir, const char *rel, cc_error **err)
{
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		return NULL;
	json_error_t je;
	json_t *j = json_load_file(p, JSON_REJECT_DUPLICATES, &je);
	if (j == NULL)
		cc_error_set(err, -EINVAL, "%s: %s", p, je.text);
	return j;
}

/* blobs/<alg>/<hex> of a descriptor. */
static char *blob_path(const json_t *desc)
{
	const char *d = json_string_value(json_object_get(desc, "digest"));
	if (d == NULL || strchr(d, ':') == NULL || strchr(d, '/') != NULL)
		return NULL;
	char *p = NULL;
	if (asprintf(&p, "blobs/%.*s/%s", (int)(strchr(d, ':') - d), d, strchr(d, ':') + 1) < 0)
		return NULL;
	return p;
}

/* blob -> digest check -> decompress -> diff_id check -> unpack. */
static int unpack_one(const char *layout, const json_t *desc, const char *diff_id, int root,
                      struct img_unpack_stats *tot, cc_error **err)
{
	const char *mt = json_string_value(json_object_get(desc, "mediaType"));
	const char *dg = json_string_value(json_object_get(desc, "digest"));
	enum img_compression c;
	img_digest want, want_diff;
	int r = img_layer_media_type(mt, &c, NULL, err);
	if (r == 0)
		r = img_digest_parse(dg, strlen(dg), &want, err);
	if (r == 0)
		r = img_digest_parse(diff_id, strlen(diff_id), &want_diff, err);
	_cleanup_free_ char *rel = blob_path(desc);
	_cleanup_free_ char *p = NULL;
	if (r < 0 || rel == NULL || asprintf(&p, "%s/%s", layout, rel) < 0)
		return r < 0 ? r : cc_error_set(err, -EINVAL, "bad descriptor");
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set(err, -errno, "%s: %s", p, strerror(errno));
	img_reader *rd = img_digest_reader(img_reader_fd(fd, true), &want,
	                                   json_integer_value(json_object_get(desc, "size")), "blob");
	rd = img_digest_reader(img_decompress_reader(rd, c, CC_IMG_MAX_LAYER_UNPACKED), &want_diff,
	                       -1, "diff_id");
	struct img_unpack_stats st;
	r = img_unpack_layer(root, rd, NULL, &st, err);
	img_reader_free(rd);
	if (r < 0)
		return cc_error_wrap(err, "layer %s", dg);
	uint64_t *t = (uint64_t *)tot;
	const uint64_t *one = (const uint64_t *)&st;
	for (size_t i = 0; i < sizeof(st) / sizeof(uint64_t); i++)
		t[i] += one[i];
	return 0;
}

static const json_t *find_manifest(const json_t *index, const char *tag)
{
	size_t i;
	json_t *m;
	json_array_foreach(json_object_get(index, "manifests"), i, m)
	{
		const char *n = json_string_value(
		    json_object_get(json_object_get(m, "annotations"), "org.opencontainers.image.ref.name"));
		if (n != NULL && strcmp(n, tag) == 0)
			return m;
	}
	return NULL;
}

static int write_config(const char *bundle, const json_t *config, int root, cc_error **err)
{
	json_t *spec = NULL;
	int r = img_runtime_config(config, root, &spec, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *p = NULL;
	if (asprintf(&p, "%s/config.json", bundle) < 0 ||
	    json_dump_file(spec, p, JSON_INDENT(1) | JSON_SORT_KEYS) < 0)
		r = cc_error_set(err, -EIO, "writing config.json");
	json_decref(spec);
	return r;
}

static int unpack_layout(const char *layout, const char *tag, const char *bundle, int root,
                         struct img_unpack_stats *tot, cc_error **err)
{
	json_t *index = load_json(layout, "index.json", err);
	const json_t *md = index != NULL ? find_manifest(index, tag) : NULL;
	_cleanup_free_ char *mrel = md != NULL ? blob_path(md) : NULL;
	json_t *man = mrel != NULL ? load_json(layout, mrel, err) : NULL;
	_cleanup_free_ char *crel = man != NULL ? blob_path(json_object_get(man, "config")) : NULL;
	json_t *config = crel != NULL ? load_json(layout, crel, err) : NULL;
	int r = config != NULL ? 0 : cc_error_set(err, -ENOENT, "%s: no image %s", layout, tag);
	json_t *layers = json_object_get(man, "layers");
	json_t *diffs = json_object_get(json_object_get(config, "rootfs"), "diff_ids");
	if (r == 0 && json_array_size(layers) != json_array_size(diffs))
		r = cc_error_set(err, -EINVAL, "layers and diff_ids differ in number");
	for (size_t i = 0; r == 0 && i < json_array_size(layers); i++)
		r = unpack_one(layout, json_array_get(layers, i),
		               json_string_value(json_array_get(diffs, i)), root, tot, err);
	if (r == 0)
		r = write_config(bundle, config, root, err);
	json_decref(config);
	json_decref(man);
	json_decref(index);
	return r;
}

static int cmd_layout(int argc, char **argv)
{
	if (argc != 5)
		return 2;
	_cleanup_free_ char *rootfs = NULL;
	if (asprintf(&rootfs, "%s/rootfs", argv[4]) < 0)
		return 1;
	mkdir(argv[4], 0700);
	if (mkdir(rootfs, 0755) < 0) {
		perror(rootfs);
		return 1;
	}
	_cleanup_close_ int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
	cc_error *err = NULL;
	struct img_unpack_stats tot = {0};
	int r = root < 0 ? -errno : unpack_layout(argv[2], argv[3], argv[4], root, &tot, &err);
	if (r < 0)
		return fail(err, r);
	print_stats(&tot);
	return 0;
}

static int cmd_config(int argc, char **argv)
{
	if (argc != 4)
		return 2;
	json_error_t je;
	json_t *config = json_load_file(argv[2], JSON_REJECT_DUPLICATES, &je);
	if (config == NULL) {
		fprintf(stderr, "%s: %s\n", argv[2], je.text);
		return 1;
	}
	int root = strcmp(argv[3], "-") == 0 ? -1 : open(argv[3], O_PATH | O_DIRECTORY | O_CLOEXEC);
	cc_error *err = NULL;
	json_t *spec = NULL;
	int r = img_runtime_config(config, root, &spec, &err);
	json_decref(config);
	if (root >= 0)
		close(root);
	if (r < 0)
		return fail(err, r);
	json_dumpf(spec, stdout, JSON_INDENT(1) | JSON_SORT_KEYS);
	putchar('\n');
	json_decref(spec);
	return 0;
}

int main(int argc, char **argv)
{
	int r = 2;
	if (argc >= 2 && strcmp(argv[1], "tar") == 0)
		r = cmd_tar(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "layout") == 0)
		r = cmd_layout(argc, argv);
	else if (argc >= 2 && strcmp(argv[1], "config") == 0)
		r = cmd_config(argc, argv);
	if (r == 2)
		fprintf(stderr, "usage: unpack-tool tar|layout|config ... (see the source)\n");
	return r;
}
