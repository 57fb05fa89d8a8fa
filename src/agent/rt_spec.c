/* The protobuf oci.Spec of the agent API (proto/oci.proto, Go's specs-go
 * field names) as runtime-spec config.json (opencontainers/runtime-spec
 * config.md, config-linux.md). proto3 has no presence: a numeric resource
 * limit of 0 means "not set" and is left out, as Kata's conversion does
 * for the values runc would otherwise apply.
 *
 * What the agent changes on the way (rt_spec_to_json):
 *   - hooks are refused (they would run in the guest's TCB with the host's
 *     arguments; Kata's generated policies require none);
 *   - namespace paths are dropped: they name the host's namespaces, which
 *     mean nothing in the guest (Kata ignores them too); in the guest the
 *     network namespace is dropped as well, so a container uses the VM's
 *     network that UpdateInterface/UpdateRoutes configured; a new pid and
 *     mount namespace are added when the spec has none (Kata's specs
 *     carry only ipc, uts and mount);
 *   - root is left for the caller (the bundle decides it);
 *   - linux.cgroupsPath is the caller's too (rt_bundle.c). */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "rt_int.h"

struct jb {
	bool bad; /* an allocation failed */
};

static void put(struct jb *b, json_t *o, const char *k, json_t *v)
{
	if (o == NULL || v == NULL || json_object_set_new(o, k, v) < 0)
		b->bad = true;
}

static void add(struct jb *b, json_t *a, json_t *v)
{
	if (a == NULL || v == NULL || json_array_append_new(a, v) < 0)
		b->bad = true;
}

static json_t *str(const char *s)
{
	return json_string(s ? s : "");
}

static json_t *strv(struct jb *b, char *const *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++)
		add(b, a, str(v[i]));
	return a;
}

static void put_str_if(struct jb *b, json_t *o, const char *k, const char *s)
{
	if (s && *s)
		put(b, o, k, json_string(s));
}

static void put_int_if(struct jb *b, json_t *o, const char *k, json_int_t v)
{
	if (v != 0)
		put(b, o, k, json_integer(v));
}

/* A uint64 as a JSON integer. jansson's integers are int64: values above
 * INT64_MAX (RLIM_INFINITY, "no limit") are written as INT64_MAX, which
 * the kernel treats as unlimited where RLIM_INFINITY would be. */
static json_t *u64(uint64_t v)
{
	return json_integer(v > (uint64_t)INT64_MAX ? INT64_MAX : (json_int_t)v);
}

/* ---- process ---------------------------------------------------------------------- */

static json_t *caps_json(struct jb *b, const Grpc__LinuxCapabilities *c)
{
	json_t *o = json_object();
	put(b, o, "bounding", strv(b, c->bounding, c->n_bounding));
	put(b, o, "effective", strv(b, c->effective, c->n_effective));
	put(b, o, "inheritable", strv(b, c->inheritable, c->n_inheritable));
	put(b, o, "permitted", strv(b, c->permitted, c->n_permitted));
	put(b, o, "ambient", strv(b, c->ambient, c->n_ambient));
	return o;
}

static json_t *user_json(struct jb *b, const Grpc__User *u)
{
	json_t *o = json_object();
	put(b, o, "uid", json_integer(u ? u->uid : 0));
	put(b, o, "gid", json_integer(u ? u->gid : 0));
	if (u && u->n_additionalgids) {
		json_t *a = json_array();
		for (size_t i = 0; i < u->n_additionalgids; i++)
			add(b, a, json_integer(u->additionalgids[i]));
		put(b, o, "additionalGids", a);
	}
	if (u)
		put_str_if(b, o, "username", u->username);
	return o;
}

static json_t *process_json(struct jb *b, const Grpc__Process *p)
{
	json_t *o = json_object();
	put(b, o, "terminal", json_boolean(p->terminal));
	if (p->consolesize && (p->consolesize->height || p->consolesize->width)) {
		json_t *cs = json_object();
		put(b, cs, "height", json_integer(p->consolesize->height));
		put(b, cs, "width", json_integer(p->consolesize->width));
		put(b, o, "consoleSize", cs);
	}
	put(b, o, "user", user_json(b, p->user));
	put(b, o, "args", strv(b, p->args, p->n_args));
	put(b, o, "env", strv(b, p->env, p->n_env));
	put(b, o, "cwd", json_string(p->cwd && *p->cwd ? p->cwd : "/"));
	if (p->capabilities)
		put(b, o, "capabilities", caps_json(b, p->capabilities));
	if (p->n_rlimits) {
		json_t *a = json_array();
		for (size_t i = 0; i < p->n_rlimits; i++) {
			json_t *r = json_object();
			put(b, r, "type", str(p->rlimits[i]->type));
			put(b, r, "hard", u64(p->rlimits[i]->hard));
			put(b, r, "soft", u64(p->rlimits[i]->soft));
			add(b, a, r);
		}
		put(b, o, "rlimits", a);
	}
	put(b, o, "noNewPrivileges", json_boolean(p->nonewprivileges));
	put_str_if(b, o, "apparmorProfile", p->apparmorprofile);
	put_int_if(b, o, "oomScoreAdj", p->oomscoreadj);
	put_str_if(b, o, "selinuxLabel", p->selinuxlabel);
	return o;
}

int rt_process_to_json(const Grpc__Process *p, json_t **ret, cc_error **err)
{
	if (p == NULL)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "no process in the request");
	if (p->n_args == 0)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "the process has no args");
	struct jb b = {0};
	json_t *o = process_json(&b, p);
	if (b.bad || o == NULL) {
		json_decref(o);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = o;
	return 0;
}

/* ---- linux -------------------------------------------------------------------------- */

static json_t *idmaps(struct jb *b, Grpc__LinuxIDMapping *const *m, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		put(b, o, "containerID", json_integer(m[i]->containerid));
		put(b, o, "hostID", json_integer(m[i]->hostid));
		put(b, o, "size", json_integer(m[i]->size));
		add(b, a, o);
	}
	return a;
}

static json_t *memory_json(struct jb *b, const Grpc__LinuxMemory *m)
{
	json_t *o = json_object();
	put_int_if(b, o, "limit", m->limit);
	put_int_if(b, o, "reservation", m->reservation);
	put_int_if(b, o, "swap", m->swap);
	put_int_if(b, o, "kernel", m->kernel);
	put_int_if(b, o, "kernelTCP", m->kerneltcp);
	if (m->swappiness && m->swappiness <= 100)
		put(b, o, "swappiness", json_integer((json_int_t)m->swappiness));
	if (m->disableoomkiller)
		put(b, o, "disableOOMKiller", json_true());
	return o;
}

static json_t *cpu_json(struct jb *b, const Grpc__LinuxCPU *c)
{
	json_t *o = json_object();
	put_int_if(b, o, "shares", (json_int_t)c->shares);
	put_int_if(b, o, "quota", c->quota);
	put_int_if(b, o, "period", (json_int_t)c->period);
	put_int_if(b, o, "realtimeRuntime", c->realtimeruntime);
	put_int_if(b, o, "realtimePeriod", (json_int_t)c->realtimeperiod);
	put_str_if(b, o, "cpus", c->cpus);
	put_str_if(b, o, "mems", c->mems);
	return o;
}

static json_t *throttle(struct jb *b, Grpc__LinuxThrottleDevice *const *d, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		put(b, o, "major", json_integer(d[i]->major));
		put(b, o, "minor", json_integer(d[i]->minor));
		put(b, o, "rate", u64(d[i]->rate));
		add(b, a, o);
	}
	return a;
}

static json_t *blockio_json(struct jb *b, const Grpc__LinuxBlockIO *io)
{
	json_t *o = json_object();
	put_int_if(b, o, "weight", io->weight);
	put_int_if(b, o, "leafWeight", io->leafweight);
	if (io->n_weightdevice) {
		json_t *a = json_array();
		for (size_t i = 0; i < io->n_weightdevice; i++) {
			const Grpc__LinuxWeightDevice *d = io->weightdevice[i];
			json_t *w = json_object();
			put(b, w, "major", json_integer(d->major));
			put(b, w, "minor", json_integer(d->minor));
			put_int_if(b, w, "weight", d->weight);
			put_int_if(b, w, "leafWeight", d->leafweight);
			add(b, a, w);
		}
		put(b, o, "weightDevice", a);
	}
	if (io->n_throttlereadbpsdevice)
		put(b, o, "throttleReadBpsDevice",
		    throttle(b, io->throttlereadbpsdevice, io->n_throttlereadbpsdevice));
	if (io->n_throttlewritebpsdevice)
		put(b, o, "throttleWriteBpsDevice",
		    throttle(b, io->throttlewritebpsdevice, io->n_throttlewritebpsdevice));
	if (io->n_throttlereadiopsdevice)
		put(b, o, "throttleReadIOPSDevice",
		    throttle(b, io->throttlereadiopsdevice, io->n_throttlereadiopsdevice));
	if (io->n_throttlewriteiopsdevice)
		put(b, o, "throttleWriteIOPSDevice",
		    throttle(b, io->throttlewriteiopsdevice, io->n_throttlewriteiopsdevice));
	return o;
}

static json_t *devcgroup(struct jb *b, Grpc__LinuxDeviceCgroup *const *d, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		put(b, o, "allow", json_boolean(d[i]->allow));
		put_str_if(b, o, "type", d[i]->type);
		/* Go's *int64: 0 is a real device number only with a type; -1
		 * and absent mean "all". */
		if (d[i]->type && *d[i]->type && strcmp(d[i]->type, "a") != 0) {
			put(b, o, "major", json_integer(d[i]->major));
			put(b, o, "minor", json_integer(d[i]->minor));
		}
		put_str_if(b, o, "access", d[i]->access);
		add(b, a, o);
	}
	return a;
}

static json_t *resources_json(struct jb *b, const Grpc__LinuxResources *r)
{
	json_t *o = json_object();
	put(b, o, "devices", devcgroup(b, r->devices, r->n_devices));
	if (r->memory)
		put(b, o, "memory", memory_json(b, r->memory));
	if (r->cpu)
		put(b, o, "cpu", cpu_json(b, r->cpu));
	if (r->pids && r->pids->limit) {
		json_t *p = json_object();
		put(b, p, "limit", json_integer(r->pids->limit));
		put(b, o, "pids", p);
	}
	if (r->blockio)
		put(b, o, "blockIO", blockio_json(b, r->blockio));
	if (r->n_hugepagelimits) {
		json_t *a = json_array();
		for (size_t i = 0; i < r->n_hugepagelimits; i++) {
			json_t *h = json_object();
			put(b, h, "pageSize", str(r->hugepagelimits[i]->pagesize));
			put(b, h, "limit", u64(r->hugepagelimits[i]->limit));
			add(b, a, h);
		}
		put(b, o, "hugepageLimits", a);
	}
	if (r->network && (r->network->classid || r->network->n_priorities)) {
		json_t *n = json_object();
		put_int_if(b, n, "classID", r->network->classid);
		json_t *a = json_array();
		for (size_t i = 0; i < r->network->n_priorities; i++) {
			json_t *p = json_object();
			put(b, p, "name", str(r->network->priorities[i]->name));
			put(b, p, "priority", json_integer(r->network->priorities[i]->priority));
			add(b, a, p);
		}
		put(b, n, "priorities", a);
		put(b, o, "network", n);
	}
	return o;
}

/* The spec's namespace types without their paths, plus a new pid and
 * mount namespace when the spec has none (Kata's
 * update_container_namespaces adds the pid namespace the same way). */
static json_t *namespaces_json(struct jb *b, const Grpc__Linux *l, bool guest)
{
	json_t *a = json_array();
	bool pid = false, mnt = false;
	for (size_t i = 0; l && i < l->n_namespaces; i++) {
		const char *t = l->namespaces[i]->type;
		if (t == NULL || *t == '\0' || (guest && strcmp(t, "network") == 0))
			continue;
		pid |= strcmp(t, "pid") == 0;
		mnt |= strcmp(t, "mount") == 0;
		json_t *o = json_object();
		put(b, o, "type", json_string(t));
		add(b, a, o);
	}
	for (int k = 0; k < 2; k++) {
		if (k == 0 ? pid : mnt)
			continue;
		json_t *o = json_object();
		put(b, o, "type", json_string(k == 0 ? "pid" : "mount"));
		add(b, a, o);
	}
	return a;
}

static json_t *devices_json(struct jb *b, Grpc__LinuxDevice *const *d, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *o = json_object();
		put(b, o, "path", str(d[i]->path));
		put(b, o, "type", str(d[i]->type));
		put(b, o, "major", json_integer(d[i]->major));
		put(b, o, "minor", json_integer(d[i]->minor));
		if (d[i]->filemode)
			put(b, o, "fileMode", json_integer(d[i]->filemode));
		put(b, o, "uid", json_integer(d[i]->uid));
		put(b, o, "gid", json_integer(d[i]->gid));
		add(b, a, o);
	}
	return a;
}

static json_t *seccomp_json(struct jb *b, const Grpc__LinuxSeccomp *s)
{
	json_t *o = json_object();
	put(b, o, "defaultAction", str(s->defaultaction));
	if (s->n_architectures)
		put(b, o, "architectures", strv(b, s->architectures, s->n_architectures));
	if (s->n_flags)
		put(b, o, "flags", strv(b, s->flags, s->n_flags));
	json_t *a = json_array();
	for (size_t i = 0; i < s->n_syscalls; i++) {
		const Grpc__LinuxSyscall *sc = s->syscalls[i];
		json_t *so = json_object();
		put(b, so, "names", strv(b, sc->names, sc->n_names));
		put(b, so, "action", str(sc->action));
		if (sc->errno_ret_case == GRPC__LINUX_SYSCALL__ERRNO_RET_ERRNORET)
			put(b, so, "errnoRet", json_integer(sc->errnoret));
		if (sc->n_args) {
			json_t *args = json_array();
			for (size_t k = 0; k < sc->n_args; k++) {
				json_t *ao = json_object();
				put(b, ao, "index", u64(sc->args[k]->index));
				put(b, ao, "value", u64(sc->args[k]->value));
				put(b, ao, "valueTwo", u64(sc->args[k]->valuetwo));
				put(b, ao, "op", str(sc->args[k]->op));
				add(b, args, ao);
			}
			put(b, so, "args", args);
		}
		add(b, a, so);
	}
	put(b, o, "syscalls", a);
	return o;
}

static json_t *map_json(struct jb *b, Grpc__Linux__SysctlEntry *const *e, size_t n)
{
	json_t *o = json_object();
	for (size_t i = 0; i < n; i++)
		put(b, o, e[i]->key ? e[i]->key : "", str(e[i]->value));
	return o;
}

static json_t *linux_json(struct jb *b, const Grpc__Linux *l, bool guest)
{
	json_t *o = json_object();
	if (l->n_uidmappings)
		put(b, o, "uidMappings", idmaps(b, l->uidmappings, l->n_uidmappings));
	if (l->n_gidmappings)
		put(b, o, "gidMappings", idmaps(b, l->gidmappings, l->n_gidmappings));
	if (l->n_sysctl)
		put(b, o, "sysctl", map_json(b, l->sysctl, l->n_sysctl));
	if (l->resources)
		put(b, o, "resources", resources_json(b, l->resources));
	put(b, o, "namespaces", namespaces_json(b, l, guest));
	if (l->n_devices)
		put(b, o, "devices", devices_json(b, l->devices, l->n_devices));
	if (l->seccomp)
		put(b, o, "seccomp", seccomp_json(b, l->seccomp));
	put_str_if(b, o, "rootfsPropagation", l->rootfspropagation);
	if (l->n_maskedpaths)
		put(b, o, "maskedPaths", strv(b, l->maskedpaths, l->n_maskedpaths));
	if (l->n_readonlypaths)
		put(b, o, "readonlyPaths", strv(b, l->readonlypaths, l->n_readonlypaths));
	put_str_if(b, o, "mountLabel", l->mountlabel);
	if (l->intelrdt && l->intelrdt->l3cacheschema && *l->intelrdt->l3cacheschema) {
		json_t *r = json_object();
		put(b, r, "l3CacheSchema", json_string(l->intelrdt->l3cacheschema));
		put(b, o, "intelRdt", r);
	}
	return o;
}

/* ---- the spec ---------------------------------------------------------------------------- */

static bool has_hooks(const Grpc__Hooks *h)
{
	return h && (h->n_prestart || h->n_poststart || h->n_poststop || h->n_createruntime ||
	             h->n_createcontainer || h->n_startcontainer);
}

const char *rt_spec_annotation(const Grpc__Spec *s, const char *key)
{
	/* A key sent twice: the last one wins, as in the policy's input and in
	 * config.json (docs/agent.md, "JSON mapping"). */
	const char *v = NULL;
	for (size_t i = 0; s && i < s->n_annotations; i++)
		if (s->annotations[i]->key && strcmp(s->annotations[i]->key, key) == 0)
			v = s->annotations[i]->value;
	return v;
}

int rt_spec_to_json(const Grpc__Spec *s, bool guest, json_t **ret, cc_error **err)
{
	if (s == NULL)
		return rt_err(err, TTRPC_INVALID_ARGUMENT, "no OCI spec in the request");
	if (has_hooks(s->hooks))
		return rt_err(err, TTRPC_INVALID_ARGUMENT,
		              "OCI hooks from the host are not run in the guest");
	struct jb b = {0};
	json_t *o = json_object();
	put(&b, o, "ociVersion", json_string(s->version && *s->version ? s->version : "1.0.2"));
	if (s->process)
		put(&b, o, "process", process_json(&b, s->process));
	put_str_if(&b, o, "hostname", s->hostname);
	json_t *mounts = json_array();
	for (size_t i = 0; i < s->n_mounts; i++) {
		const Grpc__Mount *m = s->mounts[i];
		json_t *mo = json_object();
		put(&b, mo, "destination", str(m->destination));
		put_str_if(&b, mo, "type", m->type);
		put_str_if(&b, mo, "source", m->source);
		if (m->n_options)
			put(&b, mo, "options", strv(&b, m->options, m->n_options));
		add(&b, mounts, mo);
	}
	put(&b, o, "mounts", mounts);
	if (s->n_annotations) {
		json_t *an = json_object();
		for (size_t i = 0; i < s->n_annotations; i++)
			put(&b, an, s->annotations[i]->key ? s->annotations[i]->key : "",
			    str(s->annotations[i]->value));
		put(&b, o, "annotations", an);
	}
	static const Grpc__Linux empty = GRPC__LINUX__INIT;
	put(&b, o, "linux", linux_json(&b, s->linux ? s->linux : &empty, guest));
	if (b.bad) {
		json_decref(o);
		return cc_error_set(err, -ENOMEM, "out of memory");
	}
	*ret = o;
	return 0;
}
