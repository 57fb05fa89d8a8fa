/* `cocoon vm measure`'s PCR 9 (src/cocoon/vm_measure.c): a fixed command
 * line and initrd against digests computed independently (Python's
 * hashlib: UTF-16LE of the line + " initrd=initrd" + NUL; the file; two
 * extends from zero) and the error paths. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "vm_measure.h"

static char *hex(const uint8_t *b)
{
	static char h[2 * VM_SHA256_LEN + 1];
	vm_hex(b, VM_SHA256_LEN, h);
	return h;
}

static void test_vector(void **state)
{
	(void)state;
	char path[] = "/tmp/cocoon-initrd-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "cocoon initrd\n", 14), 14);
	close(fd);
	struct vm_pcr9 m;
	assert_int_equal(vm_measure_pcr9("console=ttyS0 panic=1 quiet", path, &m, NULL), 0);
	assert_string_equal(hex(m.load_options),
	                    "62f539667be5ff22c6241b3568873e52b98829b9b9af9f34088ee1aaec81a75e");
	assert_string_equal(hex(m.initrd),
	                    "1b308188f30223fe54726c9a3f15ccd58bfdbd23262e98667c4fdef640cc6387");
	assert_string_equal(hex(m.pcr9),
	                    "a2ab768c8439efb92889e591fdd411aaa9878e323abb089f0796539c2ea61c1e");
	unlink(path);

	/* errors name what was wrong and leave *out alone */
	cc_error *e = NULL;
	struct vm_pcr9 keep;
	memset(&keep, 0xa5, sizeof(keep));
	assert_int_equal(vm_measure_pcr9("x", "/nonexistent/initrd", &keep, &e), -ENOENT);
	assert_non_null(strstr(cc_error_message(e), "/nonexistent/initrd"));
	assert_int_equal(keep.pcr9[0], 0xa5);
	cc_error_free(e);
	e = NULL;
	assert_int_equal(vm_measure_pcr9("caf\xc3\xa9", path, &keep, &e), -EINVAL);
	assert_non_null(strstr(cc_error_message(e), "byte 3 is not ASCII"));
	cc_error_free(e);
	e = NULL;
	char *big = malloc(VM_CMDLINE_MAX + 2);
	memset(big, 'a', VM_CMDLINE_MAX + 1);
	big[VM_CMDLINE_MAX + 1] = '\0';
	assert_int_equal(vm_measure_load_options(big, keep.pcr9, &e), -E2BIG);
	cc_error_free(e);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_vector),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
