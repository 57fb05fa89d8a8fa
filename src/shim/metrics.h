/* Task.Stats (kata.md §2.5): the agent's StatsContainerResponse (cgroup
 * and network stats, Kata's messages) as containerd's cgroup v1 Metrics,
 * which `ctr task metrics` and CRI decode (Kata's shim does the same). */
#ifndef COCOON_SHIM_METRICS_H
#define COCOON_SHIM_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "agent.pb-c.h"
#include "cocoon/error.h"

#define SHIM_METRICS_TYPE_URL "io.containerd.cgroups.v1.Metrics"

/* Packs the Metrics message for s into *ret (malloc'd, caller frees). */
int shim_metrics_pack(const Grpc__StatsContainerResponse *s, uint8_t **ret, size_t *ret_len,
                      cc_error **err);

#endif
