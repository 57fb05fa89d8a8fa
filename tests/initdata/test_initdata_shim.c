/* The shim's side of init-data (src/shim/initdata.c, docs/initdata.md):
 * enable_annotations, the annotation decoded into initdata.img and
 * initdata.json, the QEMU devices. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "config.h"
#include "initdata/initdata.h"
#include "qemu.h"
#include "ttrpc.h"
#include "../../src/shim/initdata.h"

static const char kata_annotation[] =
    "H4sIAFlC92cAAytLLSrOzM9TsFVQMtAz1DNQ4krMSc8vyizJyAWJFWckGpmaKXFFpySWJMZyKSUm6pXk5+YoAeXU1dW5"
    "QJhLKTklA4toQX5OZnKlXlFqej6yBABS/5JkcQAAAA==";
static const char kata_sha256[] =
    "c6694bb7a29d6f37ec72a15582e004b9f3142159682db8509a304407419a49e5";

static void load(struct shim_config *c, const char *text)
{
	cc_error *e = NULL;
	if (shim_config_load_text(c, "t.toml", text, strlen(text), &e) < 0)
		fail_msg("%s", cc_error_message(e));
}

static void test_enable_annotations(void **state)
{
	(void)state;
	struct shim_config c;
	assert_int_equal(shim_config_default(&c, NULL), 0);
	assert_true(shim_annotation_enabled(&c, "cc_init_data"));
	assert_false(shim_annotation_enabled(&c, "kernel_params"));
	shim_config_free(&c);
	load(&c, "[hypervisor.qemu]\nenable_annotations = []\n");
	assert_false(shim_annotation_enabled(&c, "cc_init_data"));
	shim_config_free(&c);
	load(&c, "[hypervisor.qemu]\nenable_annotations = [\"kernel_params\", \"cc_.*\"]\n");
	assert_true(shim_annotation_enabled(&c, "cc_init_data"));
	shim_config_free(&c);
	load(&c, "[runtime]\nhypervisor = \"none\"\n[hypervisor.none]\nagent_path = \"/a\"\n"
	         "enable_annotations = [\"^kernel_params$\"]\n");
	assert_false(shim_annotation_enabled(&c, "cc_init_data"));
	shim_config_free(&c);
	cc_error *e = NULL;
	const char bad[] = "[hypervisor.qemu]\nenable_annotations = [\"(\"]\n";
	assert_int_equal(shim_config_load_text(&c, "t.toml", bad, strlen(bad), &e), -EINVAL);
	char *m = cc_error_format(e);
	assert_string_equal(m, "t.toml:2: config_error: hypervisor.qemu.enable_annotations: not a "
	                       "regular expression: (");
	free(m);
	cc_error_free(e);
	shim_config_free(&c);
	const char bad2[] = "[hypervisor.qemu]\nenable_annotations = [1]\n";
	e = NULL;
	assert_int_equal(shim_config_load_text(&c, "t.toml", bad2, strlen(bad2), &e), -EINVAL);
	assert_non_null(strstr(cc_error_message(e), "enable_annotations: expected an array of strings"));
	cc_error_free(e);
	shim_config_free(&c);
}

static char *slurp(const char *dir, const char *name, size_t *ret_len)
{
	char p[512];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	FILE *f = fopen(p, "rb");
	if (f == NULL)
		return NULL;
	char *buf = calloc(1, 1 << 16);
	size_t n = fread(buf, 1, (1 << 16) - 1, f);
	fclose(f);
	if (ret_len)
		*ret_len = n;
	return buf;
}

static void test_prepare(void **state)
{
	(void)state;
	char dir[] = "/tmp/initdata-shim-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct shim_config c;
	assert_int_equal(shim_config_default(&c, NULL), 0);
	char *img = (char *)1;
	assert_int_equal(shim_initdata_prepare(&c, dir, NULL, &img, NULL), 0);
	assert_null(img);
	/* the Kata runtime's vector */
	assert_int_equal(shim_initdata_prepare(&c, dir, kata_annotation, &img, NULL), 0);
	char want[600];
	snprintf(want, sizeof(want), "%s/initdata.img", dir);
	assert_string_equal(img, want);
	free(img);
	size_t n = 0;
	char *raw = slurp(dir, "initdata.img", &n);
	assert_non_null(raw);
	assert_int_equal(n % 512, 0);
	char *toml = NULL;
	size_t tlen = 0;
	assert_int_equal(cc_initdata_img_decode((unsigned char *)raw, n, &toml, &tlen, NULL), 0);
	assert_non_null(strstr(toml, "algorithm = \"sha256\""));
	free(toml);
	free(raw);
	raw = slurp(dir, "initdata.json", NULL);
	json_t *j = json_loads(raw, JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "algorithm")), "sha256");
	assert_string_equal(json_string_value(json_object_get(j, "digest")), kata_sha256);
	assert_string_equal(json_string_value(json_object_get(j, "snp_host_data")), kata_sha256);
	assert_string_equal(json_string_value(json_object_get(j, "tpm_pcr8_extend")), kata_sha256);
	const char *tdx = json_string_value(json_object_get(j, "tdx_mrconfigid"));
	assert_int_equal(strlen(tdx), 96);
	assert_memory_equal(tdx, kata_sha256, 64);
	json_decref(j);
	free(raw);

	/* errors name the annotation and what was wrong */
	cc_error *e = NULL;
	img = NULL;
	assert_int_equal(shim_initdata_prepare(&c, dir, "@@@@", &img, &e), -EINVAL);
	assert_null(img);
	assert_int_equal(ttrpc_error_code(e), TTRPC_INVALID_ARGUMENT);
	assert_string_equal(cc_error_message(e), "annotation " CC_INITDATA_ANNOTATION
	                                         ": not valid base64 (byte 0)");
	cc_error_free(e);
	e = NULL;
	/* version 0.2.0 */
	char *bad = NULL;
	const char v2[] = "version = \"0.2.0\"\nalgorithm = \"sha256\"\n[data]\n";
	assert_int_equal(cc_initdata_to_annotation(v2, strlen(v2), &bad, NULL), 0);
	assert_int_equal(shim_initdata_prepare(&c, dir, bad, &img, &e), -EINVAL);
	assert_string_equal(cc_error_message(e), "annotation " CC_INITDATA_ANNOTATION
	                                         ": init-data: unsupported version \"0.2.0\", "
	                                         "expected 0.1.0");
	cc_error_free(e);
	free(bad);
	shim_config_free(&c);
	/* not enabled */
	load(&c, "[hypervisor.qemu]\nenable_annotations = [\"kernel_params\"]\n");
	e = NULL;
	assert_int_equal(shim_initdata_prepare(&c, dir, kata_annotation, &img, &e), -EINVAL);
	assert_string_equal(cc_error_message(e),
	                    "annotation " CC_INITDATA_ANNOTATION " is not enabled (list "
	                    "\"cc_init_data\" in enable_annotations of the hypervisor section of "
	                    "t.toml)");
	cc_error_free(e);
	shim_config_free(&c);
	char p[600];
	snprintf(p, sizeof(p), "%s/initdata.img", dir);
	unlink(p);
	snprintf(p, sizeof(p), "%s/initdata.json", dir);
	unlink(p);
	rmdir(dir);
}

static bool has_args(char **argv, const char *a, const char *b)
{
	for (size_t i = 0; argv[i] && argv[i + 1]; i++)
		if (strcmp(argv[i], a) == 0 && strcmp(argv[i + 1], b) == 0)
			return true;
	return false;
}

static void test_qemu_devices(void **state)
{
	(void)state;
	struct shim_config c;
	assert_int_equal(shim_config_default(&c, NULL), 0);
	struct shim_vm_spec vm = {.name = "sandbox-x", .channel_path = "/s/agent.sock",
	                          .console_path = "/s/console.log", .accel = SHIM_ACCEL_TCG,
	                          .initdata_img = "/s/initdata.img"};
	char **argv = NULL;
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, NULL), 0);
	assert_true(has_args(argv, "-drive",
	                     "file=/s/initdata.img,if=none,id=initdata,format=raw,readonly=on"));
	assert_true(has_args(argv, "-device", "virtio-blk-device,drive=initdata,serial=initdata"));
	shim_argv_free(argv);
	shim_config_free(&c);
	load(&c, "[hypervisor.qemu]\nmachine_type = \"q35\"\n");
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, NULL), 0);
	assert_true(has_args(argv, "-device", "virtio-blk-pci,drive=initdata,serial=initdata"));
	shim_argv_free(argv);
	/* none without init-data */
	vm.initdata_img = NULL;
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, NULL), 0);
	for (size_t i = 0; argv[i]; i++)
		assert_null(strstr(argv[i], "initdata"));
	shim_argv_free(argv);
	vm.initdata_img = "/s,x/initdata.img";
	cc_error *e = NULL;
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, &e), -EINVAL);
	assert_string_equal(cc_error_message(e), "init-data image /s,x/initdata.img contains a "
	                                         "comma, which QEMU cannot take");
	cc_error_free(e);
	shim_config_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_enable_annotations),
	    cmocka_unit_test(test_prepare),
	    cmocka_unit_test(test_qemu_devices),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
