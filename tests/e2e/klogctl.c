/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Ask the kernel for the size of its log buffer with syslog(2) and print the
 * outcome: "ok SIZE" and exit 0, or "errno N" and exit 1. Linked statically,
 * so that a test can copy it into a container under any name.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/klog.h>

#define SYSLOG_ACTION_SIZE_BUFFER 10

int main(void)
{
	int size = klogctl(SYSLOG_ACTION_SIZE_BUFFER, NULL, 0);

	if (size < 0) {
		printf("errno %d\n", errno);
		return 1;
	}
	printf("ok %d\n", size);
	return 0;
}
