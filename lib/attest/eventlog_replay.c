/* Event log replay (eventlog.h): extends each record's digests into its
 * register, per bank, with OpenSSL's digests. */
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "eventlog_int.h"

static const char *md_name(uint16_t alg)
{
	switch (alg) {
	case EVENTLOG_ALG_SHA1: return "SHA1";
	case EVENTLOG_ALG_SHA256: return "SHA256";
	case EVENTLOG_ALG_SHA384: return "SHA384";
	case EVENTLOG_ALG_SHA512: return "SHA512";
	case EVENTLOG_ALG_SM3_256: return "SM3";
	default: return NULL;
	}
}

static bool has_bank(const eventlog *l, uint16_t alg)
{
	for (size_t i = 0; i < l->n_banks; i++)
		if (l->banks[i] == alg)
			return true;
	return false;
}

/* out = H(out || d), out being size bytes. */
static int extend(EVP_MD_CTX *ctx, const EVP_MD *md, uint8_t *out, size_t size, const uint8_t *d)
{
	unsigned n = 0;
	if (EVP_DigestInit_ex(ctx, md, NULL) != 1 || EVP_DigestUpdate(ctx, out, size) != 1 ||
	    EVP_DigestUpdate(ctx, d, size) != 1 || EVP_DigestFinal_ex(ctx, out, &n) != 1 ||
	    n != size)
		return -ENOMEM;
	return 0;
}

static unsigned reg_count(const eventlog *l)
{
	return l->fmt == EVENTLOG_CCEL ? EVENTLOG_CCEL_RTMRS : EVENTLOG_MAX_PCRS;
}

static const char *reg_name(const eventlog *l)
{
	return l->fmt == EVENTLOG_CCEL ? "RTMR" : "PCR";
}

int eventlog_replay(const eventlog *l, uint16_t alg, unsigned reg, uint8_t *out, bool *touched,
                    cc_error **err)
{
	size_t size = eventlog_alg_size(alg);
	const char *name = md_name(alg);
	if (size == 0 || name == NULL || !has_bank(l, alg))
		return cc_error_set(err, -ENOENT, "event log replay: the log has no %s bank",
		                    eventlog_alg_name(alg) != NULL ? eventlog_alg_name(alg)
		                                                   : "such");
	if (reg >= reg_count(l))
		return cc_error_set(err, -EINVAL, "event log replay: no %s %u", reg_name(l), reg);
	/* CCEL: MR index 1..4 is RTMR 0..3. */
	uint32_t index = l->fmt == EVENTLOG_CCEL ? reg + 1 : reg;
	memset(out, 0, size);
	if (l->fmt != EVENTLOG_CCEL && reg == 0 && l->has_locality)
		out[size - 1] = l->locality;
	EVP_MD *md = EVP_MD_fetch(NULL, name, NULL);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int r = md != NULL && ctx != NULL ? 0 : -ENOMEM;
	bool any = false;
	for (size_t i = 0; r == 0 && i < l->n; i++) {
		const ev_rec *e = &l->ev[i];
		if (e->pub.index != index || e->pub.type == EVENTLOG_EV_NO_ACTION)
			continue;
		for (size_t j = 0; r == 0 && j < e->pub.n_digests; j++)
			if (e->d[j].alg == alg) {
				r = extend(ctx, md, out, size, e->d[j].digest);
				any = true;
			}
	}
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	if (r < 0)
		return cc_error_set(err, r, "event log replay: %s digest unavailable", name);
	if (touched != NULL)
		*touched = any;
	return 0;
}

static void hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

int eventlog_check_register(const eventlog *l, uint16_t alg, unsigned reg, const uint8_t *want,
                            size_t want_len, cc_error **err)
{
	uint8_t got[EVENTLOG_MAX_DIGEST];
	int r = eventlog_replay(l, alg, reg, got, NULL, err);
	if (r < 0)
		return r;
	size_t size = eventlog_alg_size(alg);
	if (want_len != size || CRYPTO_memcmp(got, want, size) != 0) {
		char g[2 * EVENTLOG_MAX_DIGEST + 1], w[2 * EVENTLOG_MAX_DIGEST + 1];
		hex(got, size, g);
		hex(want, want_len < size ? want_len : size, w);
		return cc_error_set(err, -EPERM, "event log replay: %s %u %s mismatch (log %s, quote %s)",
		                    reg_name(l), reg, eventlog_alg_name(alg), g, w);
	}
	return 0;
}

int eventlog_replay_json(const eventlog *l, json_t **ret, cc_error **err)
{
	json_t *out = json_object();
	int r = out != NULL ? 0 : cc_error_set(err, -ENOMEM, "out of memory");
	for (size_t b = 0; r == 0 && b < l->n_banks; b++) {
		uint16_t alg = l->banks[b];
		json_t *bank = json_object();
		if (bank == NULL || json_object_set_new(out, eventlog_alg_name(alg), bank) < 0) {
			r = cc_error_set(err, -ENOMEM, "out of memory");
			break;
		}
		for (unsigned reg = 0; r == 0 && reg < reg_count(l); reg++) {
			uint8_t v[EVENTLOG_MAX_DIGEST];
			bool touched;
			r = eventlog_replay(l, alg, reg, v, &touched, err);
			if (r < 0 || !touched)
				continue;
			char key[8], h[2 * EVENTLOG_MAX_DIGEST + 1];
			snprintf(key, sizeof(key), "%u", reg);
			hex(v, eventlog_alg_size(alg), h);
			if (json_object_set_new(bank, key, json_string(h)) < 0)
				r = cc_error_set(err, -ENOMEM, "out of memory");
		}
	}
	if (r < 0) {
		json_decref(out);
		return r;
	}
	*ret = out;
	return 0;
}
