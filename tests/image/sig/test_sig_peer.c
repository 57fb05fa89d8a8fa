/* Simple signing against the real producers: a throwaway GnuPG key
 * (gpg --quick-gen-key in a temporary GNUPGHOME), signatures made by
 * skopeo (standalone-sign, and copy --sign-by into a docker-registry on
 * 127.0.0.1 with the lookaside configured by a registries.d YAML), read
 * back through file:// and through python3's http.server on 127.0.0.1.
 * Every server is stopped by its PID; the gpg-agent skopeo's signing
 * starts is stopped with gpgconf --kill for that GNUPGHOME.
 * Exit 77 (skip) without gpg or skopeo; the registry and HTTP parts skip
 * on their own without docker-registry or python3. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "helpers.h"

static char *tmp, *gnupg, *fpr, *pubkey;
static char *env[2];

#define MUST(...) ((const char *const[]){__VA_ARGS__, NULL})

static int group_setup(void **state)
{
	(void)state;
	tmp = make_tmpdir();
	gnupg = xasprintf("%s/gnupg", tmp);
	mkdir(gnupg, 0700);
	env[0] = xasprintf("GNUPGHOME=%s", gnupg);
	char *gen[] = {"gpg", "--batch", "--pinentry-mode", "loopback", "--passphrase", "",
	               "--quick-gen-key", "cocoon sig test <sig-test@example.invalid>", "ed25519",
	               "sign", "never", NULL};
	free(run_ok(gen, env));
	char *list[] = {"gpg", "--batch", "--list-keys", "--with-colons", NULL};
	char *out = run_ok(list, env);
	char *f = strstr(out, "\nfpr:");
	assert_non_null(f);
	f += 5;
	while (*f == ':')
		f++;
	fpr = xasprintf("%.40s", f);
	free(out);
	pubkey = xasprintf("%s/pubkey.asc", tmp);
	char *exp[] = {"gpg", "--batch", "--armor", "--output", pubkey, "--export", fpr, NULL};
	free(run_ok(exp, env));
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	char *kill_agent[] = {"gpgconf", "--kill", "gpg-agent", NULL};
	run(kill_agent, env, 30, NULL, NULL);
	rm_rf(tmp);
	free(tmp);
	free(gnupg);
	free(fpr);
	free(pubkey);
	free(env[0]);
	return 0;
}

static char *policy(const char *scope)
{
	return xasprintf("{\"default\":[{\"type\":\"reject\"}],\"transports\":{\"docker\":{"
	                 "\"%s\":[{\"type\":\"signedBy\",\"keyType\":\"GPGKeys\",\"keyPath\":\"%s\"}]}}}",
	                 scope, pubkey);
}

static void expect(const char *pol, const char *registries, const sig_lookaside *dir_cfg,
                   const char *ref, const char *m, size_t n, int want, const char *const *must)
{
	struct sig_image img = {.transport = "docker", .reference = ref, .manifest = m,
	                        .manifest_len = n};
	struct sig_callbacks cb = {.tmpdir = tmp};
	char *msg = NULL;
	int r;
	if (dir_cfg != NULL) {
		sig_policy *p = NULL;
		sig_report *rep = NULL;
		cc_error *err = NULL;
		assert_int_equal(sig_policy_load(pol, strlen(pol), &p, NULL), 0);
		r = sig_policy_check(p, dir_cfg, &img, &cb, NULL, &rep, &err);
		msg = xasprintf("%s", r == 0 ? sig_report_detail(rep, 0) : cc_error_message(err));
		sig_report_free(rep);
		cc_error_free(err);
		sig_policy_free(p);
	} else {
		r = check_image(pol, registries, &img, &cb, NULL, &msg);
	}
	if (r != want || !has_all(msg, must))
		fail_msg("%s: got %d \"%s\", want %d", ref, r, msg, want);
	free(msg);
}

/* skopeo standalone-sign over a manifest file: accepted; a tampered
 * signature, another manifest, another tag are not. */
static void test_standalone_sign(void **state)
{
	(void)state;
	const char *m = "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+"
	                "json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\","
	                "\"digest\":\"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61"
	                "caaff8a\",\"size\":2},\"layers\":[]}";
	char hex[65];
	sha256_hex(m, strlen(m), hex);
	char *mpath = xasprintf("%s/manifest.json", tmp);
	spits(mpath, m);
	char *sigdir = xasprintf("%s/look/test/img@sha256=%s", tmp, hex);
	char *sig = xasprintf("%s/signature-1", sigdir);
	spits(sig, ""); /* makes the directories */
	char *sign[] = {"skopeo", "standalone-sign", "-o", sig, mpath, "registry.example/test/img:1",
	                fpr, NULL};
	free(run_ok(sign, env));
	char *registries = xasprintf("docker:\n  registry.example/test:\n    lookaside: file://%s/look\n",
	                             tmp);
	char *p = policy("registry.example/test");
	char *who = xasprintf("key %s", fpr);
	expect(p, registries, NULL, "registry.example/test/img:1", m, strlen(m), 0,
	       MUST(who, "sha256:", "identity registry.example/test/img:1"));
	/* another tag: the signature names :1 */
	expect(p, registries, NULL, "registry.example/test/img:2", m, strlen(m), -EPERM,
	       MUST("signature for identity \"registry.example/test/img:1\" is not accepted"));
	/* the manifest changed: its digest has no signature */
	char *m2 = xasprintf("%s ", m);
	expect(p, registries, NULL, "registry.example/test/img:1", m2, strlen(m2), -EPERM,
	       MUST("a signature was required, but no signature exists"));
	/* ... or a signature filed under the new digest is for the old one */
	char hex2[65];
	sha256_hex(m2, strlen(m2), hex2);
	char *sig2 = xasprintf("%s/look/test/img@sha256=%s/signature-1", tmp, hex2);
	size_t n = 0;
	char *b = slurp(sig, &n);
	spit(sig2, b, n);
	expect(p, registries, NULL, "registry.example/test/img:1", m2, strlen(m2), -EPERM,
	       MUST("signature for digest sha256:", hex, "does not match"));
	/* a tampered signature (gpg then finds no signature, or a bad one) */
	b[n - 20] ^= 0x40;
	spit(sig, b, n);
	expect(p, registries, NULL, "registry.example/test/img:1", m, strlen(m), -EPERM,
	       MUST("rejected by policy", "/signature-1: "));
	free(b);
	free(sig2);
	free(m2);
	free(who);
	free(p);
	free(registries);
	free(sig);
	free(sigdir);
	free(mpath);
}

/* A one-config-blob image in skopeo's dir: format. */
static char *make_dir_image(void)
{
	char *dir = xasprintf("%s/img", tmp);
	const char *cfg = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"rootfs\":{\"type\":"
	                  "\"layers\",\"diff_ids\":[]}}";
	char hex[65];
	sha256_hex(cfg, strlen(cfg), hex);
	char *p = xasprintf("%s/%s", dir, hex);
	spits(p, cfg);
	free(p);
	char *m = xasprintf("{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest."
	                    "v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config."
	                    "v1+json\",\"digest\":\"sha256:%s\",\"size\":%zu},\"layers\":[]}",
	                    hex, strlen(cfg));
	p = xasprintf("%s/manifest.json", dir);
	spits(p, m);
	free(p);
	free(m);
	p = xasprintf("%s/version", dir);
	spits(p, "Directory Transport Version: 1.1\n");
	free(p);
	return dir;
}

/* skopeo copy --sign-by into a real registry, the lookaside from a
 * registries.d directory; then the same lookaside over HTTP. */
static void test_registry_and_http(void **state)
{
	(void)state;
	if (!have_program("docker-registry") || !have_program("python3"))
		skip();
	int port = free_port();
	char *cfg = xasprintf("%s/registry.json", tmp);
	char *cfgs = xasprintf("{\"version\":0.1,\"log\":{\"level\":\"error\"},\"storage\":{"
	                       "\"filesystem\":{\"rootdirectory\":\"%s/registry\"}},\"http\":{\"addr\":"
	                       "\"127.0.0.1:%d\"}}",
	                       tmp, port);
	spits(cfg, cfgs);
	char *log = xasprintf("%s/registry.log", tmp);
	char *reg_argv[] = {"docker-registry", "serve", cfg, NULL};
	pid_t reg = start_bg(reg_argv, NULL, log);
	assert_true(wait_port(port, reg));
	char *look = xasprintf("%s/lookaside", tmp);
	mkdir(look, 0755);
	char *regd = xasprintf("%s/registries.d", tmp);
	char *yaml = xasprintf("%s/cocoon.yaml", regd);
	char *yamls = xasprintf("docker:\n  127.0.0.1:%d:\n    lookaside: file://%s\n"
	                        "    lookaside-staging: file://%s\n",
	                        port, look, look);
	spits(yaml, yamls);
	char *img = make_dir_image();
	char *src = xasprintf("dir:%s", img);
	char *ref = xasprintf("127.0.0.1:%d/test/img:1", port);
	char *dst = xasprintf("docker://%s", ref);
	char *copy[] = {"skopeo", "--insecure-policy", "--registries.d", regd, "copy",
	                "--dest-tls-verify=false", "--sign-by", fpr, src, dst, NULL};
	free(run_ok(copy, env));
	char *inspect[] = {"skopeo", "inspect", "--raw", "--tls-verify=false", dst, NULL};
	char *m = run_ok(inspect, NULL);
	stop(reg);

	sig_lookaside *l = NULL;
	assert_int_equal(sig_lookaside_load_dir(regd, &l, NULL), 0);
	char *scope = xasprintf("127.0.0.1:%d/test", port);
	char *p = policy(scope);
	char *who = xasprintf("key %s", fpr);
	expect(p, NULL, l, ref, m, strlen(m), 0, MUST("signature file://", who));
	char *m2 = xasprintf("%s\n", m);
	expect(p, NULL, l, ref, m2, strlen(m2), -EPERM,
	       MUST("a signature was required, but no signature exists"));
	sig_lookaside_free(l);

	/* the same lookaside served over HTTP */
	int hport = free_port();
	char *hlog = xasprintf("%s/http.log", tmp);
	char *ports = xasprintf("%d", hport);
	char *http_argv[] = {"python3", "-m", "http.server", "--bind", "127.0.0.1", "--directory",
	                     look, ports, NULL};
	pid_t http = start_bg(http_argv, NULL, hlog);
	assert_true(wait_port(hport, http));
	char *hyaml = xasprintf("docker:\n  127.0.0.1:%d:\n    lookaside: http://127.0.0.1:%d\n", port,
	                        hport);
	expect(p, hyaml, NULL, ref, m, strlen(m), 0, MUST("signature http://127.0.0.1:", who));
	/* no signature for another digest: 404 ends the list */
	expect(p, hyaml, NULL, ref, m2, strlen(m2), -EPERM,
	       MUST("a signature was required, but no signature exists"));
	/* tampered on the server */
	char hex[65];
	sha256_hex(m, strlen(m), hex);
	char *sigf = xasprintf("%s/test/img@sha256=%s/signature-1", look, hex);
	size_t n = 0;
	char *b = slurp(sigf, &n);
	b[n - 20] ^= 0x40;
	spit(sigf, b, n);
	expect(p, hyaml, NULL, ref, m, strlen(m), -EPERM, MUST("rejected by policy", "/signature-1: "));
	/* a server that is gone is an error, not a rejection */
	stop(http);
	expect(p, hyaml, NULL, ref, m, strlen(m), -EIO, MUST("http://127.0.0.1:"));
	free(b);
	free(sigf);
	free(hyaml);
	free(ports);
	free(hlog);
	free(m2);
	free(who);
	free(p);
	free(scope);
	free(m);
	free(dst);
	free(ref);
	free(src);
	free(img);
	free(yamls);
	free(yaml);
	free(regd);
	free(look);
	free(log);
	free(cfgs);
	free(cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_standalone_sign),
	    cmocka_unit_test(test_registry_and_http),
	};
	if (!have_program("gpg") || !have_program("skopeo") || !have_program("gpgconf")) {
		fprintf(stderr, "gpg or skopeo is not installed: skipped\n");
		return 77;
	}
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
