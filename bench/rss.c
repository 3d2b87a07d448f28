/*
 * bench/rss.c - run a command, print its wall time and peak RSS as JSON.
 * usage: rss COMMAND [ARGS...]   (stdout of the command goes to /dev/null)
 */
#include <fcntl.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: rss COMMAND [ARGS...]\n");
		return 1;
	}
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0)
			dup2(fd, 1);
		execvp(argv[1], argv + 1);
		_exit(127);
	}
	int status = 0;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) < 0) {
		perror("rss");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double wall = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) * 1e-9;
	double cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
	             (double)ru.ru_stime.tv_usec * 1e-6;
	printf("{\"wall_s\":%.3f,\"cpu_s\":%.3f,\"max_rss_kb\":%ld,\"exit\":%d}\n", wall, cpu, ru.ru_maxrss,
	       WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
