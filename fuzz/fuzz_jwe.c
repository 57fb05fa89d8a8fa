/* libFuzzer target: JWE decryption (lib/jose/jwe.c, jwe_keys.c;
 * docs/jose.md), what the KBS client reads from a resource response. Every
 * input is decrypted with a fixed P-256 key and a fixed RSA key (alg
 * RSA-OAEP-256); the seeds are JWEs made for them, so mutations reach the
 * header checks, key unwrapping and GCM. A JWE that opens is re-encrypted
 * and must open to the same bytes. Seed corpus: fuzz/corpus/jwe/. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "jose_jwe.h"

static const char ec_key[] =
	"{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"t6qTb5BpTP_avSjJz1YqjyEwEi3JSTfW5cPT4n-xWm"
	"k\",\"y\":\"ewL50jSNY57BQLTCb8PRe8EPgHHbdk578lZCTaXXMK8\",\"d\":\"Hps4AvaHfBsuEnb5c5"
	"M3IEdRcDoOiBEdVJMEXi-3fMg\"}";

static const char rsa_key[] =
	"{\"alg\":\"RSA-OAEP-256\",\"kty\":\"RSA\",\"n\":\"uR0yazCGwizagA8SBY9GdaibvKZuscA9BP"
	"R0GoG5Y9JNBBeipy4s6mafX_9PFNRV7CMN4tXDc5OHdbkq1l7oj2MPB1ryGIZ2bfSOdVQLhvr7zyG8Msi94k"
	"c3Fwrb-t77lJO7RB1ZKbDoarQ7rejC9Cvs53sj2oEDhUij3jLdCSKIY6Kx0UTppkq-1jITL_Z90CkHMdPDUJ"
	"X8O09Epu85G8RsiWTCtBNvFYKKHz-OO3NYgRhJ7KZ-gFkok5Gxwjkxiz0Ngt0kmdvHnpfkNYJWESBdaQhgGz"
	"3PyQWdd9NAJI1IBXShFFeJ7mV-T9rggAYkJ6FSYTf2TjO6Gd_xHT-Lmw\",\"e\":\"AQAB\",\"d\":\"Ub"
	"pExNNfY8JW07wTmlXH53GCFLesXpj_t7zPt9Y3Sg2SyDBBNStrVC_rxH_dY9Zdewx8-H2lNdVYNI8EjTHI3m"
	"l_PKGYCmDvT5tt-_oXvsf3vdrokslTIGCNv4QhXDDvhQj2YFvOvlvnORkK0jzWOeRcy1RwH2vfaIyKILN3KC"
	"0PIeBPGQd628PC9GtXBSvGtg09uMUrHj2IcOvtZk5lcy7jeoiwIGLlPOFPvh1MuY_Xqfeb-1uNutGCZug-cU"
	"a9vYX74J33ohOLkn_ojO4N03nBbufm7h8SiuqRnCSJtXYg-jDjGTrBv2Phxggn_DGfGE3jZ9fD9tclPDogwP"
	"E1EQ\",\"p\":\"-9_39CHgAecJKCgPwnKNSK4MTyDTTjsVT0SXbl0Id_qcZ7T7Lb50h5b_mSQ6BS-lH6Vcw"
	"-zi6h96OD6bYFHF3Ex16P5eiPn-DlyIuVqudYw4x8KaVcwVx2CAOfY554QybdQgM0R39uW_fICiceZOW7lVk"
	"st4A1HsQDj63xXPWus\",\"q\":\"vCVSSH7_TP8bqVsXsudQmn84Ui1970CFybW734YCV-Hu2nEUTHmfMNM"
	"n30k719gC48J5hoM1JE2N81vGBUQUDalgOEFubYvDSkzfA5l8x39699tRUW4glOzsh2zuBe69ynIT1_NqUVW"
	"5EVVRuiIsS0T0rXaNP_ecc6-y-KLLBhE\",\"dp\":\"uLHmR53jfmGlRE4EKGkJkycVnZyLdk069hJtHJ-Z"
	"yyj5Mc7zdPq4xoiCSxDWfuEOK2N936nARz_nxoCaPQoZlc53k--a8MSoeG2AULLfRREavdjEhW-O9NGdlWMp"
	"2MwGkqS_K_jkIycbwDcvZ2gjQ31m86rCCWU0YW-m_pkmoRs\",\"dq\":\"Eoi6qlmYXMVkvDI1C3KuBgoyS"
	"iYhGciJZW15rHNPF8kx9mLdVQtGG1ExxFU6h_DHmBg4UH_sZD8flLGduDcUoqPkzqXjcvcprdAUyA3-tMhiH"
	"LiGMjdfDkyooE6ixALYv3Ctc8CO4KRJLuPwwR1Mr72DPPNIxtxllR_hyYx_44E\",\"qi\":\"inQ1hoMbVX"
	"HGo6Zr0bSZ_gQaNWMVF-IjGYWixffwEMm73MCvQmwkthyRYeVJsPQDczMMEesQY9EdhIT8-sRkdXTSJB21MY"
	"JrCyGgCkpQyKf627MyplI0w-1VLwzbBl4kMvOYzMGfu8OERcUXhcczMFA6Vhc4PTw9RYuLor019e8\"}";

static cj_jwk *keys[2];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	if (cj_jwk_parse(ec_key, strlen(ec_key), &keys[0], NULL) != 0 ||
	    cj_jwk_parse(rsa_key, strlen(rsa_key), &keys[1], NULL) != 0)
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (keys[0] == NULL)
		LLVMFuzzerInitialize(NULL, NULL);
	for (size_t i = 0; i < 2; i++) {
		unsigned char *pt = NULL, *pt2 = NULL;
		size_t n = 0, n2 = 0;
		if (cj_jwe_decrypt(keys[i], (const char *)data, size, &pt, &n, NULL, NULL) != 0)
			continue;
		char *again = NULL;
		size_t al = 0;
		if (cj_jwe_encrypt(keys[i], pt, n, &again, &al, NULL, NULL) != 0 ||
		    cj_jwe_decrypt(keys[i], again, al, &pt2, &n2, NULL, NULL) != 0 || n != n2 ||
		    memcmp(pt, pt2, n) != 0)
			abort();
		free(again);
		cj_free_secret(pt, n);
		cj_free_secret(pt2, n2);
	}
	return 0;
}
