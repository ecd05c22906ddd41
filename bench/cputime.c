/* cputime: the clock of the why502 benchmark (bench/run.sh).
 *
 * Runs a command and reports what it cost to the microsecond. /usr/bin/time prints its CPU
 * seconds with two decimals: on a 0.1-0.3 s run (the read floor of most shapes, every 200 MB
 * file, every capture of the sweep) its 10 ms steps are 3-10 % of the figure, as much as the
 * differences the benchmark is asked to tell.
 *
 *   cputime REPORT CMD [ARG...]   runs CMD with this program's standard input, output and
 *                                 error, waits for it, and writes REPORT: one `key=value` a
 *                                 line, wall_s, user_s, sys_s (seconds, six decimals: the
 *                                 kernel's accounting of the command and of the children it
 *                                 waited for, as wait4(2) gives it), maxrss_kib, minflt,
 *                                 majflt, nvcsw, nivcsw, and exit (its exit status, or 128 +
 *                                 the signal that ended it). SIGINT and SIGQUIT are ignored
 *                                 here while the command runs: a Ctrl-C ends the command and
 *                                 its report still says so (exit=130)
 *
 * Build: gcc -std=c17 -O2 -Wall -Wextra -o cputime cputime.c
 * Exit: the command's exit status (128 + the signal that ended it); 127 when it could not be
 * run, 125 on a usage or report error (message on standard error), among them a REPORT that
 * is an executable file (a program's path given first by mistake is not overwritten).
 */
#define _DEFAULT_SOURCE /* wait4 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s REPORT CMD [ARG...]\n", argv[0]);
        return 125;
    }
    /* the report goes first: a program's path there by mistake would be overwritten */
    struct stat sb;
    if (stat(argv[1], &sb) == 0 && S_ISREG(sb.st_mode) && (sb.st_mode & 0111)) {
        fprintf(stderr, "cputime: %s is an executable file, not overwritten as the report "
                        "(usage: %s REPORT CMD [ARG...])\n",
                argv[1], argv[0]);
        return 125;
    }
    FILE *report = fopen(argv[1], "w");
    if (!report) {
        fprintf(stderr, "cputime: %s: %s\n", argv[1], strerror(errno));
        return 125;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "cputime: fork: %s\n", strerror(errno));
        fclose(report);
        return 125;
    }
    if (pid == 0) {
        fclose(report);
        execvp(argv[2], argv + 2);
        fprintf(stderr, "cputime: %s: %s\n", argv[2], strerror(errno));
        _exit(127);
    }
    /* Ctrl-C and Ctrl-\ reach the command (the terminal sends them to the whole group) and
     * end it; this program waits and writes the report, as time(1) does */
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    int status = 0;
    struct rusage ru;
    pid_t w;
    while ((w = wait4(pid, &status, 0, &ru)) < 0 && errno == EINTR)
        ;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (w < 0) {
        fprintf(stderr, "cputime: wait4: %s\n", strerror(errno));
        fclose(report);
        return 125;
    }
    int rc = WIFEXITED(status) ? WEXITSTATUS(status) : WIFSIGNALED(status) ? 128 + WTERMSIG(status) : 125;
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    fprintf(report, "wall_s=%.6f\nuser_s=%.6f\nsys_s=%.6f\nmaxrss_kib=%ld\nminflt=%ld\nmajflt=%ld\n"
                    "nvcsw=%ld\nnivcsw=%ld\nexit=%d\n",
            wall, tv_s(ru.ru_utime), tv_s(ru.ru_stime), ru.ru_maxrss, ru.ru_minflt, ru.ru_majflt,
            ru.ru_nvcsw, ru.ru_nivcsw, rc);
    if (fclose(report) != 0) {
        fprintf(stderr, "cputime: %s: %s\n", argv[1], strerror(errno));
        return 125;
    }
    return rc;
}
