/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCLAVE_LOADER_H
#define ENCLAVE_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

struct loader;

/* Called for every ring-buffer record; data is untrusted and unaligned-safe. */
typedef int (*loader_record_fn)(void *ctx, void *data, size_t size);

int loader_start(const struct config *config, loader_record_fn on_record, void *ctx,
		 struct loader **out);
int loader_epoll_fd(const struct loader *loader);
int loader_consume(struct loader *loader);
int loader_read_lost(struct loader *loader, uint64_t total[ENCLAVE_HOOK_MAX]);
void loader_detach(struct loader *loader);
void loader_stop(struct loader *loader);

#endif /* ENCLAVE_LOADER_H */
