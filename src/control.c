/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The control socket, served from the daemon's event loop without blocking.
 * Every client socket is non-blocking, and a request line is at most
 * CONTROL_MAX_REQUEST bytes. A client is closed CONTROL_TIMEOUT seconds
 * after it connects, served or not, and at most CONTROL_MAX_CLIENTS are
 * served at once. Only root may connect: the file has mode 0600 and the
 * peer's credentials are checked as well.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <syslog.h>
#include <unistd.h>

#include "control.h"
#include "log.h"

#define CONTROL_MAX_REQUEST	64
#define CONTROL_MAX_CLIENTS	16
#define CONTROL_TIMEOUT		2.0

struct control_client {
	struct control *control;
	int fd;
	ev_io io;
	ev_timer timer;
	char request[CONTROL_MAX_REQUEST];
	size_t request_len;
	char *response;			/* NULL until the request is complete */
	size_t response_len, sent;
	bool in_use;
};

struct control {
	struct ev_loop *loop;
	char *path;
	int fd;
	ev_io io;
	control_status_fn status;
	void *ctx;
	struct control_client clients[CONTROL_MAX_CLIENTS];
};

static void control_client_close(struct control_client *client)
{
	ev_io_stop(client->control->loop, &client->io);
	ev_timer_stop(client->control->loop, &client->timer);
	close(client->fd);
	free(client->response);
	client->response = NULL;
	client->in_use = false;
}

static char *control_reply(struct control *control, const char *request)
{
	json_object *object = json_object_new_object();
	char *text;

	if (strcmp(request, "status") == 0)
		control->status(control->ctx, object);
	else
		json_object_object_add(object, "error",
				       json_object_new_string("unknown command (expected status)"));
	if (asprintf(&text, "%s\n", json_object_to_json_string_ext(object, JSON_C_TO_STRING_PLAIN)) < 0)
		text = NULL;
	json_object_put(object);
	return text;
}

static void control_start_reply(struct control_client *client, const char *request)
{
	client->response = control_reply(client->control, request);
	if (!client->response) {
		control_client_close(client);
		return;
	}
	client->response_len = strlen(client->response);
	ev_io_stop(client->control->loop, &client->io);
	ev_io_set(&client->io, client->fd, EV_WRITE);
	ev_io_start(client->control->loop, &client->io);
}

static void control_read(struct control_client *client)
{
	ssize_t n = recv(client->fd, client->request + client->request_len,
			 sizeof(client->request) - client->request_len, MSG_DONTWAIT);
	char *newline;

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		control_client_close(client);
		return;
	}
	client->request_len += (size_t)n;
	newline = memchr(client->request, '\n', client->request_len);
	if (!newline) {
		if (client->request_len == sizeof(client->request))
			control_start_reply(client, "");	/* too long: an error reply */
		return;
	}
	*newline = '\0';
	control_start_reply(client, client->request);
}

static void control_write(struct control_client *client)
{
	ssize_t n = send(client->fd, client->response + client->sent,
			 client->response_len - client->sent, MSG_NOSIGNAL | MSG_DONTWAIT);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n < 0) {
		control_client_close(client);
		return;
	}
	client->sent += (size_t)n;
	if (client->sent == client->response_len)
		control_client_close(client);
}

static void control_on_client(struct ev_loop *loop, ev_io *watcher, int revents)
{
	struct control_client *client = watcher->data;

	if (client->response)
		control_write(client);
	else
		control_read(client);
}

static void control_on_timeout(struct ev_loop *loop, ev_timer *watcher, int revents)
{
	control_client_close(watcher->data);
}

/* Return whether the peer of FD runs as root. */
static bool control_peer_is_root(int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 && cred.uid == 0;
}

static void control_on_accept(struct ev_loop *loop, ev_io *watcher, int revents)
{
	struct control *control = watcher->data;
	struct control_client *client = NULL;
	int fd = accept4(control->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS && !client; i++) {
		if (!control->clients[i].in_use)
			client = &control->clients[i];
	}
	if (!client || !control_peer_is_root(fd)) {
		close(fd);
		return;
	}
	memset(client, 0, sizeof(*client));
	client->in_use = true;
	client->control = control;
	client->fd = fd;
	ev_io_init(&client->io, control_on_client, fd, EV_READ);
	client->io.data = client;
	ev_io_start(loop, &client->io);
	ev_timer_init(&client->timer, control_on_timeout, CONTROL_TIMEOUT, 0);
	client->timer.data = client;
	ev_timer_start(loop, &client->timer);
}

/* Create the directory of PATH, mode 0755, if it is missing. */
static void control_make_dir(const char *path)
{
	char dir[PATH_MAX];

	snprintf(dir, sizeof(dir), "%s", path);
	if (mkdir(dirname(dir), 0755) != 0 && errno != EEXIST)
		log_msg(LOG_DEBUG, "control: failed to create the directory of '%s': %s", path,
			strerror(errno));
}

/* Bind with mode 0600 before listen(2), so that no one connects before. */
static int control_listen(struct control *control)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct stat st;

	if (strlen(control->path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	if (lstat(control->path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode))
			return -EEXIST;
		unlink(control->path);
	}
	control_make_dir(control->path);
	control->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (control->fd < 0)
		return -errno;
	memcpy(addr.sun_path, control->path, strlen(control->path) + 1);
	if (bind(control->fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    chmod(control->path, 0600) != 0 || listen(control->fd, 16) != 0)
		return -errno;
	return 0;
}

/* Start serving the control socket at PATH in LOOP. */
int control_open(struct ev_loop *loop, const char *path, control_status_fn status,
		 void *ctx, struct control **out)
{
	struct control *control = calloc(1, sizeof(*control));
	int err;

	if (!control)
		return -ENOMEM;
	control->loop = loop;
	control->status = status;
	control->ctx = ctx;
	control->fd = -1;
	control->path = strdup(path);
	err = control->path ? control_listen(control) : -ENOMEM;
	if (err) {
		log_msg(LOG_ERR, "control: failed to create the control socket '%s': %s; set control_socket in [daemon] to a free path",
			path, strerror(-err));
		control_close(control);
		return err;
	}
	ev_io_init(&control->io, control_on_accept, control->fd, EV_READ);
	control->io.data = control;
	ev_io_start(loop, &control->io);
	log_msg(LOG_INFO, "control: listening on '%s'", path);
	*out = control;
	return 0;
}

/* Close every client and the socket, and remove its file; control may be NULL. */
void control_close(struct control *control)
{
	if (!control)
		return;
	for (size_t i = 0; i < CONTROL_MAX_CLIENTS; i++) {
		if (control->clients[i].in_use)
			control_client_close(&control->clients[i]);
	}
	if (control->fd >= 0) {
		ev_io_stop(control->loop, &control->io);
		close(control->fd);
		unlink(control->path);
	}
	free(control->path);
	free(control);
}
