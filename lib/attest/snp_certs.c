/* The built-in AMD roots (snp_int.h): ASK, ARK and ASVK of Milan, Genoa and
 * Turin, parsed from the embedded PEM on each load and checked for their
 * names (ARK-<Product>, SEV-<Product>, SEV-VLEK-<Product>). */
#include <errno.h>
#include <openssl/pem.h>
#include <string.h>

#include "snp_certs_pem.h"
#include "snp_int.h"

static int check_cn(X509 *x, const char *want, cc_error **err)
{
	char cn[64] = "";
	if (X509_NAME_get_text_by_NID(X509_get_subject_name(x), NID_commonName, cn,
	                              (int)sizeof(cn)) < 0 ||
	    strcmp(cn, want) != 0)
		return cc_error_set(err, -EINVAL, "built-in AMD certificates: '%s' where %s belongs",
		                    cn, want);
	return 0;
}

int snp_vendor_load(enum snp_product p, const char *override, snp_vendor *ret, cc_error **err)
{
	const char *pem = override != NULL ? override
	                  : p == SNP_MILAN   ? snp_pem_milan
	                  : p == SNP_GENOA ? snp_pem_genoa
	                  : p == SNP_TURIN ? snp_pem_turin
	                                   : NULL;
	if (pem == NULL)
		return cc_error_set(err, -EINVAL, "built-in AMD certificates: no product");
	memset(ret, 0, sizeof(*ret));
	BIO *b = BIO_new_mem_buf(pem, -1);
	if (b == NULL)
		return cc_error_set(err, -ENOMEM, "built-in AMD certificates: out of memory");
	ret->ask = PEM_read_bio_X509(b, NULL, NULL, NULL);
	ret->ark = PEM_read_bio_X509(b, NULL, NULL, NULL);
	ret->asvk = PEM_read_bio_X509(b, NULL, NULL, NULL);
	BIO_free(b);
	const char *name = snp_product_name(p);
	char ark[32], ask[32], asvk[32];
	snprintf(ark, sizeof(ark), "ARK-%s", name);
	snprintf(ask, sizeof(ask), "SEV-%s", name);
	snprintf(asvk, sizeof(asvk), "SEV-VLEK-%s", name);
	int r = 0;
	if (ret->ask == NULL || ret->ark == NULL || ret->asvk == NULL)
		r = cc_error_set(err, -EINVAL, "built-in AMD certificates: %s PEM unreadable", name);
	else if ((r = check_cn(ret->ark, ark, err)) == 0 && (r = check_cn(ret->ask, ask, err)) == 0)
		r = check_cn(ret->asvk, asvk, err);
	if (r < 0)
		snp_vendor_clear(ret);
	return r;
}

void snp_vendor_clear(snp_vendor *v)
{
	X509_free(v->ark);
	X509_free(v->ask);
	X509_free(v->asvk);
	memset(v, 0, sizeof(*v));
}
