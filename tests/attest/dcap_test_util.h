/* Helpers shared by the DCAP collateral tests (test_dcap_collateral.c,
 * test_dcap_alloc.c): file reading and the real vector's quote fields. */
#ifndef COCOON_TESTS_DCAP_TEST_UTIL_H
#define COCOON_TESTS_DCAP_TEST_UTIL_H

#include "dcap_int.h"

/* DIR/NAME as a NUL-terminated buffer (at most 4 MiB; the caller frees);
 * aborts the test when it cannot be read. */
char *dcap_test_slurp(const char *dir, const char *name, size_t *ret_len);

/* What the collateral side needs from the vector's TDX quote. */
struct dcap_real {
	uint8_t quote[8192];
	size_t quote_len;
	struct dcap_qe_report qe;
	const char *chain; /* into quote */
	size_t chain_len;
	uint8_t tee_tcb_svn[16], mrsignerseam[48], seam_attr[8];
	dcap_collateral *c; /* the vector's collateral, parsed */
};

/* Reads DIR/quote_hex.txt and DIR/quote_collateral.json into r. */
void dcap_real_load(const char *dir, struct dcap_real *r);
/* The verify input for r at time `at`. */
struct dcap_verify_in dcap_real_in(struct dcap_real *r, int64_t at);

#endif
