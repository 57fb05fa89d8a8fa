/* dcap_verify_cached (dcap.h): a memo of the collateral side per verifier.
 *
 * Everything dcap_verify checks about the collateral and the PCK chain is
 * a function of their bytes and of the time `at`, and the time enters only
 * through validity windows (notBefore/notAfter, thisUpdate/nextUpdate,
 * issueDate/nextUpdate). A successful run therefore stays successful, with
 * the same parsed bodies and PCK extension, for the same bytes at any time
 * inside the intersection of those windows. A slot keeps that result keyed
 * by SHA-256 of the collateral's every field and of the PCK chain, with the
 * window; a call whose time is strictly inside it (one second of margin on
 * each side) runs only the quote-dependent checks (binding, QE identity,
 * TCB levels, statuses) on the kept bodies. Any other call, including one
 * at a window edge, after the collateral or its file changed, or with
 * another chain, runs dcap_verify in full, so a failure is always the
 * uncached failure with its message; only successes are kept. */
#include <errno.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dcap_int.h"

#define DCAP_CACHE_SLOTS CC_DCAP_CACHE_SLOTS

struct slot {
	uint8_t coll[32], chain[32];
	int is_tdx;
	struct dcap_prep *prep; /* NULL: empty */
	uint64_t used;
};

struct dcap_cache {
	pthread_mutex_t mu;
	struct slot s[DCAP_CACHE_SLOTS];
	uint64_t tick;
	unsigned long hits, misses;
};

int dcap_cache_new(dcap_cache **ret, cc_error **err)
{
	dcap_cache *c = calloc(1, sizeof(*c));
	if (!c)
		return cc_error_set(err, -ENOMEM, "out of memory");
	if (pthread_mutex_init(&c->mu, NULL) != 0) {
		free(c);
		return cc_error_set(err, -ENOMEM, "dcap cache: mutex");
	}
	*ret = c;
	return 0;
}

void dcap_cache_free(dcap_cache *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < DCAP_CACHE_SLOTS; i++)
		dcap_prep_free(c->s[i].prep);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

void dcap_cache_stats(dcap_cache *c, unsigned long *hits, unsigned long *misses)
{
	pthread_mutex_lock(&c->mu);
	*hits = c->hits;
	*misses = c->misses;
	pthread_mutex_unlock(&c->mu);
}

/* Length, then bytes (a NULL field hashes as length 2^64-1). */
static int put(EVP_MD_CTX *md, const void *p, size_t len)
{
	uint64_t n = p ? (uint64_t)len : UINT64_MAX;
	return EVP_DigestUpdate(md, &n, sizeof(n)) && (!p || EVP_DigestUpdate(md, p, len));
}

static int put_str(EVP_MD_CTX *md, const char *s)
{
	return put(md, s, s ? strlen(s) : 0);
}

static int digests(const dcap_collateral *c, const struct dcap_verify_in *in, uint8_t coll[32],
                   uint8_t chain[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	         put(md, c->tcb_info, c->tcb_info_len) && put(md, c->tcb_info_sig, DCAP_SIG_LEN) &&
	         put(md, c->qe_identity, c->qe_identity_len) &&
	         put(md, c->qe_identity_sig, DCAP_SIG_LEN) && put(md, c->pck_crl, c->pck_crl_len) &&
	         put(md, c->root_ca_crl, c->root_ca_crl_len) && put_str(md, c->pck_crl_issuer_chain) &&
	         put_str(md, c->tcb_info_issuer_chain) && put_str(md, c->qe_identity_issuer_chain) &&
	         put(md, c->test_root_der, c->test_root_len) && EVP_DigestFinal_ex(md, coll, &n) &&
	         EVP_DigestInit_ex(md, EVP_sha256(), NULL) &&
	         put(md, in->pck_chain_pem, in->pck_chain_len) && EVP_DigestFinal_ex(md, chain, &n);
	EVP_MD_CTX_free(md);
	return ok ? 0 : -ENOMEM;
}

static struct slot *find(dcap_cache *c, const uint8_t coll[32], const uint8_t chain[32], int is_tdx)
{
	for (size_t i = 0; i < DCAP_CACHE_SLOTS; i++) {
		struct slot *s = &c->s[i];
		if (s->prep && s->is_tdx == is_tdx && memcmp(s->coll, coll, 32) == 0 &&
		    memcmp(s->chain, chain, 32) == 0)
			return s;
	}
	return NULL;
}

static void install(dcap_cache *c, const uint8_t coll[32], const uint8_t chain[32], int is_tdx,
                    struct dcap_prep *p)
{
	struct slot *s = find(c, coll, chain, is_tdx);
	for (size_t i = 0; !s && i < DCAP_CACHE_SLOTS; i++)
		if (!c->s[i].prep)
			s = &c->s[i];
	if (!s) { /* evict the least recently used */
		s = &c->s[0];
		for (size_t i = 1; i < DCAP_CACHE_SLOTS; i++)
			if (c->s[i].used < s->used)
				s = &c->s[i];
	}
	dcap_prep_free(s->prep);
	memcpy(s->coll, coll, 32);
	memcpy(s->chain, chain, 32);
	s->is_tdx = is_tdx;
	s->prep = p;
	s->used = ++c->tick;
}

int dcap_verify_cached(dcap_cache *cache, const dcap_collateral *c,
                       const struct dcap_verify_in *in, struct dcap_verify_out *out,
                       cc_error **err)
{
	uint8_t coll[32], chain[32];
	if (!cache || !c || !in || !in->qe || !in->pck_chain_pem ||
	    (in->is_tdx && (!in->tee_tcb_svn || !in->mr_signer_seam || !in->seam_attributes)) ||
	    digests(c, in, coll, chain) < 0)
		return dcap_verify(c, in, out, err); /* the full checks, or their input error */
	int64_t at = in->at ? in->at : (int64_t)time(NULL);
	struct dcap_verify_in fixed = *in;
	fixed.at = at; /* the window and the full run read the same second */
	pthread_mutex_lock(&cache->mu);
	struct slot *s = find(cache, coll, chain, in->is_tdx);
	if (s && dcap_prep_valid_lo(s->prep) < at && at < dcap_prep_valid_hi(s->prep) - 1) {
		s->used = ++cache->tick;
		cache->hits++;
		int r = dcap_prep_finish(s->prep, &fixed, out, err);
		pthread_mutex_unlock(&cache->mu);
		return r;
	}
	cache->misses++;
	pthread_mutex_unlock(&cache->mu);
	struct dcap_prep *p = NULL;
	int r = dcap_verify_run(c, &fixed, out, &p, err);
	if (r < 0)
		return r;
	pthread_mutex_lock(&cache->mu);
	install(cache, coll, chain, in->is_tdx, p);
	pthread_mutex_unlock(&cache->mu);
	return 0;
}
