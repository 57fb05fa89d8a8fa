/* AMD's ASK, ARK and ASVK per product, PEM in that order (Trustee's
 * deps/verifier/src/snp/<product>_ask_ark_asvk.pem), embedded at build time
 * from lib/attest/snp_certs/ by snp_certs/gen_c.py. */
#ifndef COCOON_ATTEST_SNP_CERTS_PEM_H
#define COCOON_ATTEST_SNP_CERTS_PEM_H

extern const char snp_pem_milan[];
extern const char snp_pem_genoa[];
extern const char snp_pem_turin[];

#endif
