/* The measured-boot VM shape's parts of the shim (src/shim/vtpm.c, the
 * firmware/enable_vtpm keys, the QEMU arguments; docs/shim.md): the keys'
 * errors, the derived variable store, pflash and tpm-crb on the command
 * line, and a real swtpm started, recorded, stopped and reaped. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "config.h"
#include "qemu.h"
#include "vtpm.h"

static char *load_err(const char *text, int want)
{
	struct shim_config c;
	cc_error *e = NULL;
	assert_int_equal(shim_config_load_text(&c, "m.toml", text, strlen(text), &e), want);
	char *msg = want < 0 ? strdup(cc_error_message(e)) : NULL;
	cc_error_free(e);
	shim_config_free(&c);
	return msg;
}

static void test_keys(void **state)
{
	(void)state;
	char *m = load_err("[hypervisor.qemu]\nenable_vtpm = true\n", -EINVAL);
	assert_string_equal(m, "hypervisor.qemu.enable_vtpm: needs machine_type = \"q35\" "
	                       "(microvm has no TPM device)");
	free(m);
	m = load_err("[hypervisor.qemu]\nfirmware = \"/f/OVMF_CODE_4M.fd\"\n", -EINVAL);
	assert_non_null(strstr(m, "hypervisor.qemu.firmware: needs machine_type = \"q35\""));
	free(m);
	m = load_err("[hypervisor.qemu]\nmachine_type = \"q35\"\nfirmware = \"/CODE/bios.bin\"\n",
	             -EINVAL);
	assert_non_null(strstr(m, "has no CODE in its name"));
	free(m);
	m = load_err("[hypervisor.qemu]\nmachine_type = \"q35\"\nenable_vtpm = 1\n", -EINVAL);
	assert_non_null(strstr(m, "enable_vtpm: expected a boolean"));
	free(m);
	m = load_err("[hypervisor.qemu]\nmachine_type = \"q35\"\nfirmware = \"OVMF_CODE.fd\"\n",
	             -EINVAL);
	assert_non_null(strstr(m, "must be an absolute path"));
	free(m);

	struct shim_config c;
	const char *t = "[hypervisor.qemu]\nmachine_type = \"q35\"\nenable_vtpm = true\n"
	                "firmware = \"/usr/share/OVMF/OVMF_CODE_4M.fd\"\n";
	assert_int_equal(shim_config_load_text(&c, "m.toml", t, strlen(t), NULL), 0);
	assert_true(c.vtpm);
	assert_string_equal(c.firmware_vars, "/usr/share/OVMF/OVMF_VARS_4M.fd");
	shim_config_free(&c);
	t = "[hypervisor.qemu]\nmachine_type = \"q35\"\nfirmware = \"/f/CODE.fd\"\n"
	    "firmware_vars = \"/v/vars.fd\"\n";
	assert_int_equal(shim_config_load_text(&c, "m.toml", t, strlen(t), NULL), 0);
	assert_false(c.vtpm);
	assert_string_equal(c.firmware_vars, "/v/vars.fd");
	shim_config_free(&c);
	/* defaults: none of it */
	assert_int_equal(shim_config_default(&c, NULL), 0);
	assert_null(c.firmware);
	assert_false(c.vtpm);
	shim_config_free(&c);
}

static void test_qemu_args(void **state)
{
	(void)state;
	struct shim_config c;
	const char *t = "[hypervisor.qemu]\nmachine_type = \"q35\"\nenable_vtpm = true\n"
	                "firmware = \"/o/OVMF_CODE_4M.fd\"\nkernel = \"/g/vmlinuz\"\n";
	assert_int_equal(shim_config_load_text(&c, "m.toml", t, strlen(t), NULL), 0);
	struct shim_vm_spec vm = {.name = "sandbox-c1", .channel_path = "/s/agent.sock",
	                          .console_path = "/s/console.log", .accel = SHIM_ACCEL_TCG,
	                          .firmware_vars = "/s/firmware_vars.fd",
	                          .tpm_socket = "/s/swtpm.sock"};
	char **argv;
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, NULL), 0);
	char *s = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&s, &n);
	for (char **a = argv; *a; a++)
		fprintf(m, "%s ", *a);
	fclose(m);
	assert_non_null(strstr(s, " -serial file:/s/console.log "
	                          "-drive if=pflash,format=raw,unit=0,file=/o/OVMF_CODE_4M.fd,readonly=on "
	                          "-drive if=pflash,format=raw,unit=1,file=/s/firmware_vars.fd "
	                          "-chardev socket,id=chrtpm,path=/s/swtpm.sock "
	                          "-tpmdev emulator,id=tpm0,chardev=chrtpm -device tpm-crb,tpmdev=tpm0 "
	                          "-kernel /g/vmlinuz "));
	free(s);
	shim_argv_free(argv);
	/* the firmware needs the pod's variable store */
	vm.firmware_vars = NULL;
	cc_error *e = NULL;
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, &e), -EINVAL);
	assert_non_null(strstr(cc_error_message(e), "without the pod's variable store"));
	cc_error_free(e);
	e = NULL;
	vm.firmware_vars = "/s/v,ars.fd";
	assert_int_equal(shim_qemu_argv(&c, &vm, &argv, &e), -EINVAL);
	cc_error_free(e);
	shim_config_free(&c);
}

/* A real swtpm (skipped without one): its socket, swtpm.pid naming it,
 * and after stop no process and nothing to reap. */
static void test_swtpm(void **state)
{
	(void)state;
	if (access(SHIM_SWTPM_PATH, X_OK) != 0) {
		skip();
		return;
	}
	char dir[] = "/tmp/cocoon-vtpm-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct shim_vtpm *t = NULL;
	cc_error *e = NULL;
	int r = shim_vtpm_start(NULL, dir, &t, &e);
	if (r < 0)
		fprintf(stderr, "%s\n", cc_error_message(e));
	assert_int_equal(r, 0);
	pid_t pid = shim_vtpm_pid(t);
	assert_true(pid > 0);
	struct stat st;
	assert_int_equal(lstat(shim_vtpm_socket(t), &st), 0);
	assert_true(S_ISSOCK(st.st_mode));
	char pidfile[256];
	snprintf(pidfile, sizeof(pidfile), "%s/swtpm.pid", dir);
	assert_int_equal(shim_read_live_pid(pidfile), pid);
	shim_vtpm_stop(t, 1000);
	assert_int_equal(shim_vtpm_pid(t), 0);
	assert_int_equal(kill(pid, 0), -1); /* gone and reaped */
	assert_int_equal(shim_read_live_pid(pidfile), 0);
	shim_vtpm_free(t);

	/* a missing binary */
	assert_int_equal(shim_vtpm_start("/nonexistent/swtpm", dir, &t, &e), -ENOENT);
	assert_non_null(strstr(cc_error_message(e), "/nonexistent/swtpm"));
	cc_error_free(e);
	e = NULL;
	/* the variable store copy */
	char vars[256], tmpl[256];
	snprintf(tmpl, sizeof(tmpl), "%s/tmpl.fd", dir);
	snprintf(vars, sizeof(vars), "%s/vars.fd", dir);
	FILE *f = fopen(tmpl, "wb");
	assert_non_null(f);
	fwrite("\0ab\0", 1, 4, f);
	fclose(f);
	assert_int_equal(shim_copy_firmware_vars(tmpl, vars, NULL), 0);
	assert_int_equal(stat(vars, &st), 0);
	assert_int_equal(st.st_size, 4);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(tmpl, sizeof(tmpl), "%s/none.fd", dir);
	assert_int_equal(shim_copy_firmware_vars(tmpl, vars, &e), -ENOENT);
	assert_non_null(strstr(cc_error_message(e), "firmware_vars"));
	cc_error_free(e);
	assert_int_equal(shim_rm_rf(dir, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_qemu_args),
	    cmocka_unit_test(test_swtpm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
