/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket: a Unix stream socket, mode 0600, on which a root
 * client sends one command line ("status") and reads one JSON line back.
 */
#ifndef ENCLAVE_CONTROL_H
#define ENCLAVE_CONTROL_H

#include <ev.h>
#include <json-c/json.h>

#define CONTROL_DEFAULT_PATH	"/run/enclave/control.sock"

struct control;

/* Fill OBJECT with the daemon's counters. */
typedef void (*control_status_fn)(void *ctx, json_object *object);

int control_open(struct ev_loop *loop, const char *path, control_status_fn status,
		 void *ctx, struct control **out);
void control_close(struct control *control);

#endif /* ENCLAVE_CONTROL_H */
