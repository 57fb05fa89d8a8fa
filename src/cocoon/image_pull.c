/* `cocoon image pull REF BUNDLE` (image_cli.h): pull, verify, decrypt and
 * unpack into an OCI bundle through lib/image/pull, with skopeo's flags for
 * the registry and the signature policy. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cocoon/cleanup.h"
#include "cocoon/file.h"
#include "cocoon/limits.h"
#include "image_cli.h"
#include "ocicrypt.h"
#include "policy.h"
#include "pull.h"
#include "sig.h"

struct pull_args {
	const char *ref, *bundle;
	bool tls_verify;
	const char *creds, *cert_dir;
	const char *policy, *registries_d, *cache_dir;
	bool insecure_policy;
	struct image_common_args c;
};

static void usage_pull(FILE *f)
{
	fputs("Usage: cocoon image pull [OPTIONS] REF BUNDLE\n"
	      "\n"
	      "Pulls the image REF (docker://HOST/REPO[:TAG|@DIGEST], oci:DIR[:NAME], or a\n"
	      "plain HOST/REPO[:TAG] meaning docker://), checks it against the signature\n"
	      "policy, decrypts encrypted layers and unpacks it into BUNDLE/rootfs with the\n"
	      "runtime config BUNDLE/config.json, as `umoci unpack` lays a bundle out.\n"
	      "BUNDLE must not exist or be empty; a failed pull leaves nothing there.\n"
	      "\n"
	      "Options:\n"
	      "      --tls-verify[=BOOL]     verify the registry's TLS certificate and use https\n"
	      "                              only (default true; false also allows http://)\n"
	      "      --creds USER:PASS       registry credentials\n"
	      "      --cert-dir DIR          CA certificates (*.crt) and client certificate\n"
	      "                              (*.cert, *.key) for the registry\n"
	      "      --authfile FILE         auth.json with credentials (default as skopeo:\n"
	      "                              $REGISTRY_AUTH_FILE, $XDG_RUNTIME_DIR/containers/\n"
	      "                              auth.json, ~/.docker/config.json)\n"
	      "      --decryption-key KEY    decrypt layers with KEY: PRIVKEY.pem[:PASSWORD]\n"
	      "                              or a private JWK (repeatable)\n"
	      "      --policy FILE           containers-policy.json(5) signature policy\n"
	      "                              (default ~/.config/containers/policy.json, then\n"
	      "                              /etc/containers/policy.json)\n"
	      "      --insecure-policy       run no signature check at all\n"
	      "      --registries.d DIR      registries.d(5) lookaside configuration (default\n"
	      "                              ~/.config/containers/registries.d, then\n"
	      "                              /etc/containers/registries.d)\n"
	      "      --cache-dir DIR         keep downloaded blobs in DIR (content-addressed,\n"
	      "                              shared by pulls); default: a temporary cache\n"
	      "      --override-os OS, --override-arch ARCH, --override-variant VARIANT\n"
	      "                              the platform to pick from an index\n"
	      "  -j, --jobs N                layers downloaded at a time (default 3)\n"
	      "      --idle-timeout SECONDS  give up on a transfer slower than 1 KiB/s for\n"
	      "                              this long (default 60)\n"
	      "      --retries N             extra attempts on transient registry errors,\n"
	      "                              resuming downloads (default 3)\n"
	      "  -q, --quiet                 no progress output\n"
	      "  -h, --help                  show this help\n"
	      "\n"
	      "Exit status: 0 on success, 1 on failure (the error names what was wrong),\n"
	      "2 on bad usage.\n",
	      f);
}

/* ---- progress ------------------------------------------------------------- */

struct pull_view {
	struct image_progress *out;
	size_t count, applied;
	uint64_t *done, *total;
};

static void short_hex(const img_digest *d, char out[13])
{
	char hex[129];
	img_digest_hex(d, hex);
	snprintf(out, 13, "%.12s", hex);
}

static void on_progress(void *ctx, const struct img_pull_progress *p)
{
	struct pull_view *v = ctx;
	char h[13] = "", sz[24];
	if (p->digest)
		short_hex(p->digest, h);
	switch (p->event) {
	case IMG_PULL_RESOLVED:
		image_progress_line(v->out, "Resolved the image manifest (%zu layer%s)", p->count,
		                    p->count == 1 ? "" : "s");
		v->done = calloc(p->count ? p->count : 1, sizeof(*v->done));
		v->total = calloc(p->count ? p->count : 1, sizeof(*v->total));
		v->count = v->done && v->total ? p->count : 0;
		return;
	case IMG_PULL_VERIFIED:
		image_progress_line(v->out, "Signature policy accepted the image (scope %s)",
		                    p->detail ? p->detail : "default");
		return;
	case IMG_PULL_BLOB:
		if (p->index < v->count) {
			v->done[p->index] = p->done;
			v->total[p->index] = p->total;
		}
		break;
	case IMG_PULL_BLOB_DONE:
		if (p->index < v->count)
			v->done[p->index] = v->total[p->index] = p->total;
		image_progress_line(v->out, "Copying blob %s %s (%s)", h,
		                    p->cached ? "already cached" : "done", image_size(p->total, sz));
		break;
	case IMG_PULL_APPLIED:
		v->applied = p->index + 1;
		image_progress_line(v->out, "Applied layer %zu/%zu %s (%s unpacked)", p->index + 1,
		                    p->count, h, image_size(p->done, sz));
		break;
	}
	uint64_t d = 0, t = 0;
	for (size_t i = 0; i < v->count; i++) {
		d += v->done[i];
		t += v->total[i];
	}
	image_progress_status(v->out, "  %zu/%zu layers applied, %.1f/%.1f MiB fetched", v->applied,
	                      v->count, (double)d / 1048576.0, (double)t / 1048576.0);
}

/* ---- policy files ----------------------------------------------------------- */

/* A policy file: a regular file (no FIFO or device to block on), read with
 * the CLI's bounded reader. */
static int read_small(const char *path, size_t max, char **ret, size_t *ret_len, cc_error **err)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return cc_error_set(err, -errno, "%s: %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cc_error_set(err, -EFBIG, "%s: not a regular file of at most %zu bytes", path, max);
	return cc_read_file(path, max, 0, ret, ret_len, err);
}

/* The first of the user's and the system's file that exists (skopeo's
 * order), or NULL. */
static char *default_path(const char *rel)
{
	const char *home = getenv("HOME");
	char *p = NULL;
	if (home && *home && asprintf(&p, "%s/.config/containers/%s", home, rel) >= 0) {
		if (access(p, F_OK) == 0)
			return p;
		free(p);
	}
	if (asprintf(&p, "/etc/containers/%s", rel) < 0)
		return NULL;
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return NULL;
}

static int load_policy(const struct pull_args *a, sig_policy **ret_p, sig_lookaside **ret_l,
                       cc_error **err)
{
	*ret_p = NULL;
	*ret_l = NULL;
	if (a->insecure_policy)
		return 0;
	_cleanup_free_ char *dflt = a->policy ? NULL : default_path("policy.json");
	const char *path = a->policy ? a->policy : dflt;
	if (path == NULL)
		return cc_error_set(err, -ENOENT, "no signature policy: none of ~/.config/containers/policy.json "
		                    "and /etc/containers/policy.json exists (give --policy FILE, or "
		                    "--insecure-policy to run no check)");
	_cleanup_free_ char *body = NULL;
	size_t n = 0;
	int rc = read_small(path, CC_IMG_MAX_SIG_POLICY_BYTES, &body, &n, err);
	if (rc == 0 && (rc = sig_policy_load(body, n, ret_p, err)) < 0)
		cc_error_wrap(err, "%s", path);
	if (rc < 0)
		return cc_error_wrap(err, "signature policy");
	_cleanup_free_ char *rd = a->registries_d ? NULL : default_path("registries.d");
	const char *dir = a->registries_d ? a->registries_d : rd;
	if (dir == NULL) {
		*ret_l = sig_lookaside_new();
		rc = *ret_l ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	} else if ((rc = sig_lookaside_load_dir(dir, ret_l, err)) < 0) {
		cc_error_wrap(err, "registries.d %s", dir);
	}
	if (rc < 0) {
		sig_policy_free(*ret_p);
		*ret_p = NULL;
	}
	return rc;
}

/* ---- the command --------------------------------------------------------------- */

static int run_pull(const struct pull_args *a, cc_error **err)
{
	_cleanup_free_ char *spec = NULL;
	const char *r = a->ref;
	if (strncmp(r, "docker://", 9) != 0 && strncmp(r, "oci:", 4) != 0) {
		if (asprintf(&spec, "docker://%s", r) < 0)
			return cc_error_set(err, -ENOMEM, "out of memory");
		r = spec;
	}
	img_location loc;
	int rc = img_location_parse(r, &loc, err);
	if (rc < 0)
		return rc;
	struct img_pull_opts o;
	img_pull_opts_init(&o);
	o.registry.tls_verify = a->tls_verify;
	o.registry.cert_dir = a->cert_dir;
	o.registry.auth_file = a->c.authfile;
	if (a->c.idle_timeout > 0)
		o.registry.low_speed_time = a->c.idle_timeout;
	if (a->c.retries >= 0)
		o.registry.retries = (unsigned)a->c.retries;
	o.cache_dir = a->cache_dir;
	o.jobs = (unsigned)a->c.jobs;
	o.os = a->c.os;
	o.arch = a->c.arch;
	o.variant = a->c.variant;
	img_creds creds = {0};
	ocicrypt_keys *keys = NULL;
	sig_policy *policy = NULL;
	sig_lookaside *lookaside = NULL;
	struct pull_view view = {0};
	if (a->creds && (rc = img_creds_parse(a->creds, &creds, err)) == 0)
		o.registry.creds = &creds;
	if (rc == 0 && a->c.ndec) {
		keys = ocicrypt_keys_new();
		rc = keys ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
		for (size_t i = 0; rc == 0 && i < a->c.ndec; i++)
			if ((rc = ocicrypt_keys_add(keys, a->c.dec_keys[i], err)) < 0)
				cc_error_wrap(err, "--decryption-key");
		o.keys = keys;
	}
	if (rc == 0)
		rc = load_policy(a, &policy, &lookaside, err);
	o.policy = policy;
	o.insecure_no_policy = a->insecure_policy;
	o.lookaside = lookaside;
	view.out = image_progress_new(a->c.quiet);
	if (rc == 0 && view.out == NULL)
		rc = cc_error_set(err, -ENOMEM, "out of memory");
	o.progress = on_progress;
	o.progress_ctx = &view;
	struct img_pull_result res;
	if (rc == 0)
		rc = img_pull(&loc, a->bundle, &o, &res, err);
	if (rc == 0) {
		char dg[IMG_DIGEST_STR_MAX], s1[24], s2[24], s3[24];
		image_progress_line(view.out,
		                    "Unpacked %s to %s (manifest %s; %zu layer%s, %s fetched, %s from "
		                    "cache, %s unpacked)",
		                    r, a->bundle, img_digest_format(&res.manifest, dg), res.layers,
		                    res.layers == 1 ? "" : "s", image_size(res.fetched_bytes, s1),
		                    image_size(res.cached_bytes, s2), image_size(res.unpacked_bytes, s3));
	}
	image_progress_free(view.out);
	free(view.done);
	free(view.total);
	sig_policy_free(policy);
	sig_lookaside_free(lookaside);
	ocicrypt_keys_free(keys);
	img_creds_clear(&creds);
	img_location_clear(&loc);
	return rc;
}

enum {
	OPT_TLS = 300,
	OPT_CREDS,
	OPT_CERT,
	OPT_POLICY,
	OPT_INSECURE,
	OPT_REGD,
	OPT_CACHE,
};

int cmd_image_pull(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"tls-verify", optional_argument, NULL, OPT_TLS},
	    {"creds", required_argument, NULL, OPT_CREDS},
	    {"cert-dir", required_argument, NULL, OPT_CERT},
	    {"policy", required_argument, NULL, OPT_POLICY},
	    {"insecure-policy", no_argument, NULL, OPT_INSECURE},
	    {"registries.d", required_argument, NULL, OPT_REGD},
	    {"cache-dir", required_argument, NULL, OPT_CACHE},
	    IMAGE_COMMON_LONGOPTS,
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	struct pull_args a = {.tls_verify = true};
	image_common_args_init(&a.c);
	int c, rc = 2;
	optind = 1;
	while ((c = getopt_long(argc, argv, IMAGE_COMMON_SHORTOPTS "h", opts, NULL)) != -1) {
		int k = image_common_opt(c, optarg, &a.c);
		if (k < 0)
			goto out;
		if (k > 0)
			continue;
		switch (c) {
		case OPT_TLS:
			if (image_parse_bool("--tls-verify", optarg, &a.tls_verify) < 0)
				goto out;
			break;
		case OPT_CREDS: a.creds = optarg; break;
		case OPT_CERT: a.cert_dir = optarg; break;
		case OPT_POLICY: a.policy = optarg; break;
		case OPT_INSECURE: a.insecure_policy = true; break;
		case OPT_REGD: a.registries_d = optarg; break;
		case OPT_CACHE: a.cache_dir = optarg; break;
		case 'h':
			usage_pull(stdout);
			rc = 0;
			goto out;
		default:
			usage_pull(stderr);
			goto out;
		}
	}
	if (argc - optind != 2) {
		fprintf(stderr, "cocoon image pull: expected REF and BUNDLE (see --help)\n");
		goto out;
	}
	if (a.policy && a.insecure_policy) {
		fprintf(stderr, "cocoon image pull: --policy and --insecure-policy exclude each other\n");
		goto out;
	}
	a.ref = argv[optind];
	a.bundle = argv[optind + 1];
	cc_error *err = NULL;
	if (run_pull(&a, &err) < 0) {
		fprintf(stderr, "cocoon image pull: %s\n", cc_error_message(err));
		cc_error_free(err);
		rc = 1;
	} else {
		rc = 0;
	}
out:
	image_common_args_clear(&a.c);
	return rc;
}
