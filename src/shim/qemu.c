/* QEMU command line (qemu.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cocoon/buf.h"
#include "qemu.h"

/* Kata's kernel parameters that speed up boots (kata.md §3.4; under TCG
 * about 0.7 s of a 3 s boot, docs/guest-image.md). */
static const char kata_params[] =
    "tsc=reliable no_timer_check rcupdate.rcu_expedited=1 i8042.direct=1 i8042.dumbkbd=1 "
    "i8042.nopnp=1 i8042.noaux=1 noreplace-smp reboot=k cryptomgr.notests";

#define GUEST_IP "10.0.2.15/24"
#define GUEST_GW "10.0.2.2"

static bool is_microvm(const struct shim_config *c)
{
	return strcmp(c->machine_type, "microvm") == 0;
}

int shim_kernel_cmdline(const struct shim_config *c, const struct shim_vm_spec *vm, char **ret,
                        cc_error **err)
{
	cc_buf b;
	cc_buf_init(&b, 4096);
	int r = cc_buf_printf(&b, "console=ttyS0 panic=1 %s%s", kata_params, c->hv_debug ? "" : " quiet");
	if (r == 0 && is_microvm(c) && vm->tsc_khz)
		r = cc_buf_printf(&b, " tsc_early_khz=%u", vm->tsc_khz);
	if (r == 0 && c->user_network)
		r = cc_buf_printf(&b, " cocoon.net=%s,%s", GUEST_IP, GUEST_GW);
	if (r == 0 && c->channel == SHIM_CHANNEL_VSOCK)
		r = cc_buf_adds(&b, " cocoon.channel=vsock://-1:1024");
	if (r == 0 && c->debug_console)
		r = cc_buf_adds(&b, " cocoon.debug_console=1");
	if (r == 0 && c->agent_debug)
		r = cc_buf_adds(&b, " agent.log=debug");
	if (r == 0 && c->kernel_params[0])
		r = cc_buf_printf(&b, " %s", c->kernel_params);
	char *s = r == 0 ? cc_buf_steal(&b, NULL) : NULL;
	cc_buf_free(&b);
	if (s == NULL)
		return cc_error_set(err, r == -E2BIG ? -E2BIG : -ENOMEM,
		                    "kernel command line longer than 4096 bytes");
	*ret = s;
	return 0;
}

struct argv {
	char **v;
	size_t n, cap;
	int err;
};

__attribute__((format(printf, 2, 3))) static void add(struct argv *a, const char *fmt, ...)
{
	if (a->err)
		return;
	if (a->n + 2 > a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 32;
		char **v = realloc(a->v, cap * sizeof(*v));
		if (v == NULL) {
			a->err = -ENOMEM;
			return;
		}
		a->v = v;
		a->cap = cap;
	}
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&a->v[a->n], fmt, ap);
	va_end(ap);
	if (r < 0) {
		a->err = -ENOMEM;
		return;
	}
	a->v[++a->n] = NULL;
}

void shim_argv_free(char **argv)
{
	if (argv == NULL)
		return;
	for (char **p = argv; *p; p++)
		free(*p);
	free(argv);
}

/* Measured boot (machine.md §2.2, Kata's qemu_amd64 pflash for
 * non-TEE): OVMF as pflash (code read-only, the pod's variable store),
 * and swtpm behind tpm-crb. */
static void measured_args(struct argv *a, const struct shim_config *c,
                          const struct shim_vm_spec *vm)
{
	if (c->firmware != NULL) {
		add(a, "-drive");
		add(a, "if=pflash,format=raw,unit=0,file=%s,readonly=on", c->firmware);
		add(a, "-drive");
		add(a, "if=pflash,format=raw,unit=1,file=%s", vm->firmware_vars);
	}
	if (vm->tpm_socket != NULL) {
		add(a, "-chardev");
		add(a, "socket,id=chrtpm,path=%s", vm->tpm_socket);
		add(a, "-tpmdev");
		add(a, "emulator,id=tpm0,chardev=chrtpm");
		add(a, "-device");
		add(a, "tpm-crb,tpmdev=tpm0");
	}
}

static int no_comma(const char *what, const char *s, cc_error **err)
{
	if (s != NULL && strchr(s, ',') != NULL)
		return cc_error_set(err, -EINVAL, "%s %s contains a comma, which QEMU cannot take",
		                    what, s);
	return 0;
}

int shim_qemu_argv(const struct shim_config *c, const struct shim_vm_spec *vm, char ***ret,
                   cc_error **err)
{
	int r = no_comma("kernel", c->kernel, err);
	if (r == 0)
		r = no_comma("initrd", c->initrd, err);
	if (r == 0)
		r = no_comma("channel socket", vm->channel_path, err);
	if (r == 0)
		r = no_comma("console log", vm->console_path, err);
	if (r == 0)
		r = no_comma("init-data image", vm->initdata_img, err);
	if (r == 0)
		r = no_comma("firmware", c->firmware, err);
	if (r == 0)
		r = no_comma("firmware variable store", vm->firmware_vars, err);
	if (r == 0)
		r = no_comma("swtpm socket", vm->tpm_socket, err);
	if (r == 0 && c->firmware != NULL && vm->firmware_vars == NULL)
		r = cc_error_set(err, -EINVAL, "firmware %s without the pod's variable store",
		                 c->firmware);
	if (r < 0)
		return r;
	char *cmdline;
	if ((r = shim_kernel_cmdline(c, vm, &cmdline, err)) < 0)
		return r;
	bool micro = is_microvm(c);
	/* microvm has virtio-mmio devices, q35 PCI ones */
	const char *bus = micro ? "device" : "pci";
	struct argv a = {0};
	add(&a, "%s", c->qemu_path);
	add(&a, "-name");
	add(&a, "%s", vm->name);
	add(&a, "-machine");
	add(&a, "%s", micro ? "microvm" : "q35");
	add(&a, "-accel");
	add(&a, "%s", vm->accel == SHIM_ACCEL_KVM ? "kvm" : "tcg");
	if (vm->accel == SHIM_ACCEL_KVM) {
		add(&a, "-cpu");
		add(&a, "host,pmu=off");
	}
	add(&a, "-m");
	add(&a, "%uM", c->memory_mib);
	add(&a, "-smp");
	add(&a, "%u", c->vcpus);
	add(&a, "-nodefaults");
	add(&a, "-no-user-config");
	add(&a, "-display");
	add(&a, "none");
	add(&a, "-no-reboot");
	add(&a, "-serial");
	add(&a, "file:%s", vm->console_path);
	measured_args(&a, c, vm);
	add(&a, "-kernel");
	add(&a, "%s", c->kernel);
	add(&a, "-initrd");
	add(&a, "%s", c->initrd);
	add(&a, "-append");
	add(&a, "%s", cmdline);
	add(&a, "-object");
	add(&a, "rng-random,id=rng0,filename=/dev/urandom");
	add(&a, "-device");
	add(&a, "virtio-rng-%s,rng=rng0", bus);
	if (vm->no_channel) {
		/* nothing */
	} else if (c->channel == SHIM_CHANNEL_SERIAL) {
		/* wait=on: QEMU starts the guest only once the shim is connected,
		 * so the agent never reads end of file from an unconnected port
		 * (machine.md §1.5) */
		add(&a, "-chardev");
		add(&a, "socket,id=agent,path=%s,server=on,wait=on", vm->channel_path);
		add(&a, "-device");
		add(&a, "virtio-serial-%s", bus);
		add(&a, "-device");
		add(&a, "virtserialport,chardev=agent,name=agent.v1");
	} else {
		add(&a, "-device");
		add(&a, "vhost-vsock-%s,guest-cid=%u", bus, c->vsock_guest_cid);
	}
	if (vm->initdata_img != NULL) {
		/* kata.md §5.2: a raw virtio-blk device with id initdata; the
		 * agent finds it by its magic among /dev/vd* */
		add(&a, "-drive");
		add(&a, "file=%s,if=none,id=initdata,format=raw,readonly=on", vm->initdata_img);
		add(&a, "-device");
		add(&a, "virtio-blk-%s,drive=initdata,serial=initdata", bus);
	}
	if (c->user_network) {
		/* restrict=on: the guest reaches nothing but the forward; cmd:
		 * runs one socat per connection (the tcp: form serves only the
		 * first, machine.md §1.6) */
		if (c->fwd_guest_ip != NULL) {
			add(&a, "-netdev");
			add(&a, "user,id=net0,restrict=on,guestfwd=tcp:%s:%u-cmd:socat - TCP:%s:%u",
			    c->fwd_guest_ip, c->fwd_guest_port, c->fwd_host_ip, c->fwd_host_port);
		} else {
			add(&a, "-netdev");
			add(&a, "user,id=net0,restrict=on");
		}
		add(&a, "-device");
		add(&a, "virtio-net-%s,netdev=net0", bus);
	}
	free(cmdline);
	if (a.err) {
		shim_argv_free(a.v);
		return cc_error_set(err, a.err, "out of memory");
	}
	*ret = a.v;
	return 0;
}
