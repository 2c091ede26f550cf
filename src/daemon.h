/* SPDX-License-Identifier: Apache-2.0 */
#ifndef ENCLAVE_DAEMON_H
#define ENCLAVE_DAEMON_H

#include <stdbool.h>

int daemon_run(const char *config_path, bool foreground);

#endif /* ENCLAVE_DAEMON_H */
