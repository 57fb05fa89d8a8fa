/* libFuzzer target: the ocicrypt decoders of hostile annotation bytes
 * (lib/image/ocicrypt, docs/ocicrypt.md).
 *
 * The first byte picks the decoder, the rest is its input:
 *   0 enc.pubopts (base64 text)        1 PLBCO JSON
 *   2 JWE (unwrapped with an RSA and an EC test key)
 *   3 PKCS#7 EnvelopedData (same keys)  4 CoCo annotation packet (+ unwrap
 *                                          with a fixed KEK)
 *   5 a layer's annotations object: the whole ocicrypt_decrypt_reader path
 *     over a small ciphertext, read to the end
 *   6 OCICRYPT_KEYPROVIDER_CONFIG       7 KBS key id -> path
 * Nothing may crash, leak or accept without a complete result. The keys are
 * ocicrypt-rs test keys (tests/image/ocicrypt/data), so seeds made for them
 * reach the payload decoders. Seed corpus: fuzz/corpus/ocicrypt_annotations/.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "internal.h"

static const char rsa_pem[] =
"-----BEGIN PRIVATE KEY-----\n"
"MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCqSNB1HlnFHHhc\n"
"mlLiOFEYA2CnIPnZyD3cJLOO0Yx6OCjBWtBCTTvFgpc1EirFQEEOHr/EgboTc4vk\n"
"9z2NnYN+mtDd9S0YQEij3ouIgW9wB4gZaqJq1va27ksHx8r/hewamlSSZA4AbYMU\n"
"ULc8oSLqExLEn7avnf+wCuvfN3k4h1f6vg2gSXbPY0mRMoqmmdl07WTHWVn/Un7V\n"
"F693BnOmpx4y2ExZSVmXVLMdKySQf39XaqMzAWm5+4+DV3NWvk7l8EubMVc6BW6Q\n"
"cV1ol2ux5VyrqZ5KdHGCQhTFGA/DoUM026xUILwjj1n+Z5Qn+xLEEmFY89+Rh7A7\n"
"Z29z7eGDAgMBAAECggEBAI1aOECgWyB2i6tDJ75FxXtLgnX5t62CvWb6yFqrtBLY\n"
"f2xR+EKxXgaMavxRAlQPDHGuML3segwfhGcinWPq9vaniO5W0YIqCqKM4AMGfvze\n"
"I6oFjKFnpBEiKgJhZS9LejxzE/UZPU45me/JOPIJSLRJ9PBnK/0ICPGXf0kiAWxc\n"
"Ae0Q24Qvz1RYDLxFrG0VvtlPcPXgekGifjM9/8sNW1pNpqZN/seAOoI6vM7U/JEh\n"
"yad6yHIoxAb1IlC9OrnzWJqECr8UIlACkg3n61//QKNIldFh4zHT8dKkX7CqFahB\n"
"KzKrKm0UDjDrzqMM0+CLd1m3SoEKFLU1UrKeOOL8wmECgYEA3iWgxwAIHN+MUY13\n"
"BYRA7WcMYZ7u6YVdt7CIi4pLCCb2y/7efvVf9xYBEYXXTWZIkITNpfdAilB5QPFH\n"
"M7WKp1jyZNnv/RBpCbqB5K6Vgil7K/EAHI/xIh4dZAN5I2HR4FRsdz0kgRj2+jQr\n"
"dXlZcmLojoi5IHOEEqD23/bZ4FsCgYEAxDvuMBSrFNs447jYCvOZm2mGput17hl3\n"
"fm5yfxtl3kNilAunfCTU4vza5/PyPMxaU1cRRuueb3laNVIAiLQsw0I0pERyQb0+\n"
"YgdiFlSiVhdP4VgPYfT7EApIPF6t+ullgqaBYpVcCtTdjNkKoVgFao86sA4zb2Cs\n"
"0IdbwRJYS/kCgYAmTLB6frvnVndXvB8QGWwkQgb1cbRZGIA+4jW4cSBciHM2Wnu7\n"
"wcxIykdm4P9svby3Bd56xbUf4530H2UaOitsjL5FuvlQVRr27WvlpF/scABnZAaT\n"
"5hE5w51nl92zxvKrTYLhz+3SQB6cpo/zkfdk7D6SDGp2eNQFbjECDgokTwKBgFUe\n"
"2fcpP/zQCyFcsPovKNZtM+d8A6/AhEDnj+rq64k6Gay2UXRcVawQmrQ68TzGN/gm\n"
"sGvfEN6x+Rtf8rNZ1IDuWv9WYWl6uXC0Wyvskm5dtly9Yg7PwYf3rdXiC/3m+A1w\n"
"RHeK6l4Yb/IEw8Ow9sh+UKrFvjH18YCS9o4NcxehAoGAF0CzX1BTHkmPzWSCwoY1\n"
"phYsLVJaxF1F8hW3mXyzDmpd+tIiG9ql5HuW/Fk9ck7hOTqTAQy6ZRKYvnG18CzV\n"
"7qqdoye4SA5XDAvN3ysp66AOSy+T9TA8zf2jt+6KwOwKVWsgzKQnaBTkWDT1vw7M\n"
"jvf9nRdpoeU2cGjQ89+Jmis=\n"
"-----END PRIVATE KEY-----\n";

static const char ec_pem[] =
"-----BEGIN PRIVATE KEY-----\n"
"MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIABWL71cWZSYmTFf1w\n"
"0MJ0CgNs27rcMaH3jdTvfLUmJvs27SVCH9BYkM6S1CTujSY57aVVY+ySDW+z7F3R\n"
"izhcg0mhgYkDgYYABAA/2W+g9yaNT5dYAveycys3Su22pVKjRBN9RzYq1DNpwMdw\n"
"Ge2+niaiGMvxIeFeNL66rtQTsY57sPRcA+mOgEobEgACzftHZDyLFRK7XiIPjx6y\n"
"GM4dkdkn7hGg5HMbcqlpzQWEDGjZWlgVDN1K/rXNvS77v0Vxje2PuVfKPkxz5PTM\n"
"Zg==\n"
"-----END PRIVATE KEY-----\n";

static ocicrypt_keys *keys;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	keys = ocicrypt_keys_new();
	if (keys == NULL || ocicrypt_keys_set_provider_config(keys, NULL, NULL) < 0 ||
	    ocicrypt_keys_add_mem(keys, rsa_pem, strlen(rsa_pem), NULL, "rsa", NULL) < 0 ||
	    ocicrypt_keys_add_mem(keys, ec_pem, strlen(ec_pem), NULL, "ec", NULL) < 0)
		abort();
	return 0;
}

static void check_result(int r, unsigned char *out, size_t n)
{
	if (r == 0 && out == NULL)
		abort();
	if (r == 0)
		oc_free_secret(out, n);
}

static void run_decrypt(const uint8_t *p, size_t n)
{
	json_t *ann = NULL;
	if (oc_json_parse(p, n, 1u << 20, &ann, "fuzz", NULL) < 0)
		return;
	static const unsigned char ct[100] = {1, 2, 3};
	img_reader *rd = NULL;
	cc_error *err = NULL;
	if (ocicrypt_decrypt_reader(keys, "application/vnd.oci.image.layer.v1.tar+encrypted", ann,
	                            img_reader_mem(ct, sizeof(ct)), &rd, &err) == 0) {
		(void)img_reader_drain(rd, &err);
		img_reader_free(rd);
	}
	cc_error_free(err);
	json_decref(ann);
}

static void run_packet(const uint8_t *p, size_t n)
{
	struct oc_annotation_packet a;
	if (oc_annotation_packet_parse(p, n, &a, NULL) < 0)
		return;
	static const unsigned char kek[32] = {7};
	unsigned char *out = NULL;
	size_t len = 0;
	int r = oc_annotation_packet_unwrap(&a, kek, &out, &len, NULL);
	check_result(r, out, len);
	oc_annotation_packet_clear(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	const uint8_t *p = data + 1;
	size_t n = size - 1;
	unsigned char *out = NULL;
	size_t len = 0;
	cc_error *err = NULL;
	switch (data[0] % 8) {
	case 0: {
		struct oc_pubopts po;
		(void)oc_pubopts_parse_b64((const char *)p, n, &po, &err);
		break;
	}
	case 1: {
		struct oc_plbco o;
		if (oc_plbco_parse(p, n, &o, &err) == 0)
			oc_plbco_wipe(&o);
		break;
	}
	case 2: {
		int r = oc_jwe_unwrap(keys, p, n, &out, &len, &err);
		check_result(r, out, len);
		(void)oc_jwe_recipient_count(p, n);
		break;
	}
	case 3: {
		int r = oc_pkcs7_unwrap(keys, p, n, &out, &len, &err);
		check_result(r, out, len);
		break;
	}
	case 4:
		run_packet(p, n);
		break;
	case 5:
		run_decrypt(p, n);
		break;
	case 6: {
		struct oc_kpconfig *c = NULL;
		if (oc_kpconfig_parse(p, n, "fuzz", &c, &err) == 0)
			oc_kpconfig_free(c);
		break;
	}
	default: {
		char s[256], path[64];
		size_t m = n < sizeof(s) - 1 ? n : sizeof(s) - 1;
		memcpy(s, p, m);
		s[m] = '\0';
		(void)oc_kid_path(s, path, sizeof(path), &err);
		break;
	}
	}
	cc_error_free(err);
	return 0;
}
