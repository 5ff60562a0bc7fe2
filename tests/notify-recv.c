/*
 * notify-recv PATH: a stand-in for systemd's notify socket, for the
 * tests. Binds a unix datagram socket at PATH and prints each message it
 * gets on a line of its own (a message's own line breaks become " | "),
 * until SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int
main(int argc, char **argv)
{
	struct sockaddr_un sa;
	char buf[4096];
	int fd;

	if (argc != 2 || strlen(argv[1]) >= sizeof sa.sun_path) {
		fprintf(stderr, "usage: notify-recv PATH (shorter than %zu)\n", sizeof sa.sun_path);
		return 2;
	}
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, argv[1], strlen(argv[1]));
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	unlink(argv[1]);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		perror("notify-recv");
		return 1;
	}
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof buf - 1, 0);

		if (n < 0)
			continue;
		buf[n] = '\0';
		for (char *p = buf; *p != '\0'; p++) {
			if (*p == '\n')
				fputs(p[1] != '\0' ? " | " : "", stdout);
			else
				fputc(*p, stdout);
		}
		fputc('\n', stdout);
		fflush(stdout);
	}
}
